// SPDX-License-Identifier: MIT
/* writev/readv capture (bpf/emit.bpf.h, emit_iov), run in the kernel by
 * tests/bpf/emit_iov.bpf.c over iovecs in this process's memory: small
 * iovecs are gathered into records of at most AR_CHUNK_MAX bytes, a big
 * one goes alone, and the records together are the call's bytes, in
 * order, at the right stream offsets. Needs CAP_BPF and CAP_PERFMON (root
 * here and in CI); skipped without them, loudly. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <agentrace/events.h>
#include "tests/emit_iov.skel.h"

#define SEQ0 1000 /* stream offset of the call's first byte */
#define MAX_RECS 16

struct rec {
	unsigned long long seq;
	unsigned len;
};

struct got {
	struct rec recs[MAX_RECS];
	int n;
	unsigned char *bytes; /* data placed at seq - SEQ0 */
	size_t cap;
	bool bad; /* a record that is not a data record, or out of range */
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int on_rec(void *ctx, void *data, size_t len)
{
	struct got *g = ctx;
	const struct ar_data_event *ev = data;

	if (len < sizeof(*ev) || ev->hdr.type != AR_EV_DATA || ev->len > len - sizeof(*ev) ||
	    ev->seq < SEQ0 || ev->seq - SEQ0 + ev->len > g->cap || g->n == MAX_RECS) {
		g->bad = true;
		return 0;
	}
	g->recs[g->n].seq = ev->seq - SEQ0;
	g->recs[g->n++].len = ev->len;
	memcpy(g->bytes + (ev->seq - SEQ0), ev->data, ev->len);
	return 0;
}

static unsigned long long stat_sum(struct emit_iov_bpf *skel, int idx)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long *v = calloc(ncpu, sizeof(*v)), sum = 0;
	__u32 k = idx;

	cr_assert(v);
	cr_assert_eq(bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &k, v), 0);
	for (int i = 0; i < ncpu; i++)
		sum += v[i];
	free(v);
	return sum;
}

/* Runs emit_iov over iovecs of the given lengths (filled with a pattern),
 * total bytes of them, and checks the records against want[nwant]
 * (offsets from the call's start) and the bytes against the iovecs'. */
static void run(const size_t *lens, int cnt, size_t total, const struct rec *want, int nwant)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct emit_iov_bpf *skel;
	struct ring_buffer *rb;
	struct iovec iov[AR_MAX_IOV];
	unsigned char *flat;
	struct got g = { 0 };
	size_t sum = 0;
	int err;

	libbpf_set_print(quiet);
	skel = emit_iov_bpf__open();
	cr_assert(skel, "open: %s", strerror(errno));
	bpf_map__set_max_entries(skel->maps.events, 1 << 20);
	err = emit_iov_bpf__load(skel);
	if (err == -EPERM || err == -EACCES) {
		emit_iov_bpf__destroy(skel);
		cr_skip_test("loading BPF needs CAP_BPF: %s", strerror(-err));
	}
	cr_assert_eq(err, 0, "load: %s", strerror(-err));
	cr_assert_leq(cnt, AR_MAX_IOV);
	for (int i = 0; i < cnt; i++)
		sum += lens[i];
	flat = malloc(sum + 1);
	g.cap = total;
	g.bytes = calloc(1, total + 1);
	cr_assert(flat && g.bytes);
	for (size_t i = 0; i < sum; i++)
		flat[i] = (unsigned char)(i * 7 + i / 251);
	/* each iovec its own allocation, as a real writev's pieces are */
	for (size_t i = 0, off = 0; i < (size_t)cnt; off += lens[i], i++) {
		iov[i].iov_base = malloc(lens[i] + 1);
		iov[i].iov_len = lens[i];
		cr_assert(iov[i].iov_base);
		memcpy(iov[i].iov_base, flat + off, lens[i]);
	}
	skel->bss->iov_ptr = (unsigned long)iov;
	skel->bss->iovcnt = cnt;
	skel->bss->total = total;
	skel->bss->seq = SEQ0;
	/* no BPF_F_TEST_RUN_ON_CPU: the program runs in this task, and
	 * bpf_probe_read_user reads this process's memory */
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.emit_iov_run), &opts);
	cr_assert_eq(err, 0, "test run: %s", strerror(errno));
	cr_assert_geq(skel->data->slot, 0, "no scratch slot");
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_rec, &g, NULL);
	cr_assert(rb);
	cr_assert_geq(ring_buffer__consume(rb), 0);
	cr_assert(!g.bad, "a record outside the call");
	cr_assert_eq(stat_sum(skel, AR_STAT_DROP_READ), 0);
	cr_assert_eq(stat_sum(skel, AR_STAT_DROP_SHED), 0);
	cr_assert_eq(stat_sum(skel, AR_STAT_DROP_RINGBUF), 0);
	for (int i = 0; i < g.n && i < nwant; i++)
		cr_expect(g.recs[i].seq == want[i].seq && g.recs[i].len == want[i].len,
			  "record %d: %llu+%u, want %llu+%u", i, g.recs[i].seq, g.recs[i].len,
			  want[i].seq, want[i].len);
	cr_assert_eq(g.n, nwant, "%d records, want %d", g.n, nwant);
	cr_assert_eq(memcmp(g.bytes, flat, total), 0, "bytes differ from the iovecs'");
	ring_buffer__free(rb);
	for (int i = 0; i < cnt; i++)
		free(iov[i].iov_base);
	free(flat);
	free(g.bytes);
	emit_iov_bpf__destroy(skel);
}

Test(emit_iov, small_iovecs_are_gathered_into_one_record)
{
	/* nginx's response: status line, headers, body */
	size_t lens[] = { 17, 120, 2, 600, 3000, 1 };
	struct rec want[] = { { 0, 3740 } };

	run(lens, 6, 3740, want, 1);
}

Test(emit_iov, a_record_closes_before_it_passes_the_chunk_size)
{
	size_t lens[] = { 4000, 4000, 4000, 4000, 4000, 96 };
	struct rec want[] = { { 0, 16000 }, { 16000, 4096 } };

	run(lens, 6, 20096, want, 2);
}

Test(emit_iov, a_big_iovec_goes_alone_between_gathered_ones)
{
	size_t lens[] = { 100, 200, 20000, 300, 400 };
	struct rec want[] = { { 0, 300 }, { 300, 16384 }, { 16684, 3616 }, { 20300, 700 } };

	run(lens, 5, 21000, want, 4);
}

Test(emit_iov, empty_iovecs_and_a_short_return_leave_no_gap)
{
	/* the call moved 25 of the 30 bytes offered */
	size_t lens[] = { 0, 10, 0, 0, 20, 0 };
	struct rec want[] = { { 0, 25 } };

	run(lens, 6, 25, want, 1);
}
