// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drives the ring's wakeup rule (bpf/maps.bpf.h, rb_flags_len): writes
 * records records of len bytes into events, nobody reading, and counts
 * the ones submitted with a wakeup. Userspace runs it with
 * BPF_PROG_TEST_RUN and reads wakeups. */
#include "maps.bpf.h"

__u32 records = 0;
__u32 len = 0; /* at most sizeof(rec) */
__u32 wakeups = 0;
__u32 written = 0;

static __u8 rec[4096];

static long one(__u32 i, void *ctx)
{
	__u32 n = len;
	__u64 flags;

	if (n > sizeof(rec))
		return 1;
	flags = rb_flags_len(n);
	if (bpf_ringbuf_output(&events, rec, n, flags))
		return 1;
	written++;
	if (flags == BPF_RB_FORCE_WAKEUP)
		wakeups++;
	return 0;
}

SEC("raw_tp")
int rb_wake_run(void *ctx)
{
	bpf_loop(records, one, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
