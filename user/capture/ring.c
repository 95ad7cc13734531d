// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include <string.h>

#include <bpf/libbpf.h>

#include <agentrace/events.h>

#include "capture/ring.h"

/* libbpf stops consuming (the record is already consumed) and returns the
 * callback's negative value: our "budget spent" marker. */
#define RING_BUDGET_SPENT (-ECANCELED)

struct ring_reader {
	struct ring_buffer *rb;
	ring_record_fn fn;
	void *ctx;
	struct ring_budget spent; /* delivered in this poll */
	unsigned long long polls, bounded; /* all polls, those cut at the bound */
};

bool ring_budget__charge(struct ring_budget *b, size_t len)
{
	b->records++;
	b->bytes += len;
	return b->records >= RING_POLL_MAX_RECORDS || b->bytes >= RING_POLL_MAX_BYTES;
}

/* A data record reserved at a size class (bpf/emit.bpf.h, emit_direct)
 * is longer than its header and payload: everything past them is slack,
 * cut here so that every consumer (and every capture file) sees the exact
 * record. */
size_t ring__record_len(const void *data, size_t len)
{
	struct ar_data_event ev;

	if (len < sizeof(ev))
		return len;
	memcpy(&ev, data, sizeof(ev));
	if (ev.hdr.type != AR_EV_DATA || !(ev.hdr.flags & AR_F_SLACK) ||
	    ev.len > len - sizeof(ev))
		return len;
	return sizeof(ev) + ev.len;
}

uint32_t ring__wakeup_shift(uint32_t ring_bytes)
{
	uint32_t s = 0;

	while (s < 31 && 1u << (s + 1) <= ring_bytes)
		s++;
	return s >= 19 ? s - 3 : 16;
}

static int on_sample(void *ctx, void *data, size_t len)
{
	struct ring_reader *r = ctx;

	r->fn(r->ctx, data, ring__record_len(data, len));
	if (ring_budget__charge(&r->spent, len))
		return RING_BUDGET_SPENT;
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
	int n;

	r->spent = (struct ring_budget){ 0 };
	r->polls++;
	n = ring_buffer__poll(r->rb, timeout_ms);
	if (n == -EINTR)
		n = 0;
	if (n < 0 && n != RING_BUDGET_SPENT)
		return n;
	/* Records wake us once per eighth of the ring (ring__wakeup_shift),
	 * so a timeout is the common return: drain whatever is there. */
	if (n != RING_BUDGET_SPENT) {
		n = ring_buffer__consume(r->rb);
		if (n < 0 && n != RING_BUDGET_SPENT)
			return n;
	}
	if (n == RING_BUDGET_SPENT)
		r->bounded++;
	return (int)r->spent.records;
}

void ring_reader__print_stats(const struct ring_reader *r, FILE *f)
{
	fprintf(f, "ring: polls=%llu polls_bounded=%llu\n", r->polls, r->bounded);
}
