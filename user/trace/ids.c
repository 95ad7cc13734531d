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

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** over a fresh 32-byte seed. The kernel's generator costs
 * about a nanosecond a byte (chacha_permute was 1.5% of a traced wrk's
 * daemon samples at 4 KiB a refill); ids need to be random, not secret,
 * and reseeding every pool keeps each 4 KiB's stream independent. */
static void ids__expand(uint8_t *out, size_t n, uint64_t s[4])
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

		s[2] ^= s[0];
		s[3] ^= s[1];
		s[1] ^= s[2];
		s[0] ^= s[3];
		s[2] ^= t;
		s[3] = rotl(s[3], 45);
		memcpy(out + i, &r, 8);
	}
}

/* Refills the whole pool. Returns 0 or -errno; the pool stays empty on
 * failure. */
static int ids__refill(struct ids *g)
{
	uint64_t seed[4] = { 0 };
	size_t got = 0;

	while (got < sizeof(seed)) {
		ssize_t r = getrandom((uint8_t *)seed + got, sizeof(seed) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			g->off = IDS_POOL;
			return -errno;
		}
		got += (size_t)r;
	}
	/* an all-zero state would give zeros forever (2^-256) */
	if (!(seed[0] | seed[1] | seed[2] | seed[3]))
		seed[0] = 1;
	ids__expand(g->pool, IDS_POOL, seed);
	g->off = 0;
	return 0;
}

/* n is 8 or 16: two word loads, not a byte loop */
static bool all_zero(const uint8_t *b, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, b + i, 8);
		w |= v;
	}
	return !w;
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
