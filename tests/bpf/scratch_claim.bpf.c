// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drives the real scratch claim (bpf/emit.bpf.h) through the overlap a
 * preempted uprobe program meets: while one call holds a slot, a second
 * program on the same CPU claims, fills its header and releases. Nested
 * calls in one program are that interleaving, made deterministic, so the
 * test fails on any kernel when the claim is broken (the development
 * kernel runs preempt=none, where real preemption never happens).
 * Userspace runs it with BPF_PROG_TEST_RUN on one CPU and reads step:
 * 0 when every check passed, else the number of the first that failed. */
#include "emit.bpf.h"

/* the checks below claim all of them */
_Static_assert(AR_SCRATCH_SLOTS == 4, "four scratch slots per CPU");

int step = -1;

/* One call site of emit_prepare, as in the capture programs: inlined nine
 * times, clang compiles its loop into a form the verifier rejects. */
static __noinline int claim(__u64 conn_id)
{
	return emit_prepare(conn_id, 0, 0, 0, 1, 0, 0);
}

static __always_inline __u64 slot_conn(int slot)
{
	__u32 k = (__u32)slot;
	struct data_scratch *s = bpf_map_lookup_elem(&scratch, &k);

	return s ? s->ev.hdr.conn_id : 0;
}

SEC("raw_tp")
int scratch_claim(void *ctx)
{
	int a, b, c, d, e;

	a = claim(0xa);
	if (a < 0) {
		step = 1; /* a free CPU has no free slot */
		return 0;
	}
	/* the preempting program */
	b = claim(0xb);
	if (b < 0 || b == a) {
		step = 2; /* it got no slot, or a's slot */
		goto out_a;
	}
	if (slot_conn(a) != 0xa || slot_conn(b) != 0xb) {
		step = 3; /* a header was overwritten */
		goto out_b;
	}
	emit_release(b);
	/* the preempted call resumes: its header is intact */
	if (slot_conn(a) != 0xa) {
		step = 4;
		goto out_a;
	}
	/* the other slots, then none: bytes are counted, not mixed */
	b = claim(0xb);
	c = claim(0xc);
	d = claim(0xd);
	e = claim(0xe);
	if (b < 0 || c < 0 || d < 0 || e >= 0 || b == c || c == d || b == d || b == a ||
	    c == a || d == a)
		step = 5;
	else if (slot_conn(a) != 0xa)
		step = 6;
	else
		step = 0;
	if (e >= 0)
		emit_release(e);
	if (d >= 0)
		emit_release(d);
	if (c >= 0)
		emit_release(c);
out_b:
	if (b >= 0)
		emit_release(b);
out_a:
	emit_release(a);
	/* every slot is free again */
	if (!step) {
		a = claim(0xa);
		b = claim(0xb);
		c = claim(0xc);
		d = claim(0xd);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			step = 7;
		if (a >= 0)
			emit_release(a);
		if (b >= 0)
			emit_release(b);
		if (c >= 0)
			emit_release(c);
		if (d >= 0)
			emit_release(d);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
