// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "capture/ring.h"

struct ring_reader {
	struct ring_buffer *rb;
	ring_record_fn fn;
	void *ctx;
};

static int on_sample(void *ctx, void *data, size_t len)
{
	struct ring_reader *r = ctx;

	r->fn(r->ctx, data, len);
	return 0;
}

int ring_reader__new(int map_fd, ring_record_fn fn, void *ctx, struct ring_reader **out)
{
	struct ring_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->fn = fn;
	r->ctx = ctx;
	r->rb = ring_buffer__new(map_fd, on_sample, r, NULL);
	if (!r->rb) {
		int err = -errno;

		free(r);
		return err;
	}
	*out = r;
	return 0;
}

void ring_reader__free(struct ring_reader *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	free(r);
}

int ring_reader__poll(struct ring_reader *r, int timeout_ms)
{
	int n = ring_buffer__poll(r->rb, timeout_ms);
	int m;

	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* Data records are submitted without a wakeup until a batch builds
	 * up (bpf/maps.bpf.h rb_flags), so drain whatever is there. */
	m = ring_buffer__consume(r->rb);
	return m < 0 ? m : n + m;
}
