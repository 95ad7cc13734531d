// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "trace/ids.h"

#define IDS_POOL 4096

struct ids {
	size_t off; /* next unused byte; IDS_POOL means empty */
	uint8_t pool[IDS_POOL];
};

struct ids *ids__new(void)
{
	struct ids *g = malloc(sizeof(*g));

	if (!g)
		return NULL;
	g->off = IDS_POOL;
	return g;
}

void ids__free(struct ids *g)
{
	free(g);
}

/* Refills the whole pool. Returns 0 or -errno; the pool stays empty on
 * failure. */
static int ids__refill(struct ids *g)
{
	size_t got = 0;

	while (got < IDS_POOL) {
		ssize_t r = getrandom(g->pool + got, IDS_POOL - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			g->off = IDS_POOL;
			return -errno;
		}
		got += (size_t)r;
	}
	g->off = 0;
	return 0;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Takes n fresh bytes, redrawing in the (2^-64) case they are all zero,
 * which W3C forbids. Returns 0 or -errno with out untouched. */
static int ids__take(struct ids *g, uint8_t *out, size_t n)
{
	for (;;) {
		if (IDS_POOL - g->off < n) {
			int err = ids__refill(g);

			if (err)
				return err;
		}
		if (!all_zero(g->pool + g->off, n)) {
			memcpy(out, g->pool + g->off, n);
			g->off += n;
			return 0;
		}
		g->off += n;
	}
}

int ids__trace_id(struct ids *g, uint8_t out[16])
{
	return ids__take(g, out, 16);
}

int ids__span_id(struct ids *g, uint8_t out[8])
{
	return ids__take(g, out, 8);
}
