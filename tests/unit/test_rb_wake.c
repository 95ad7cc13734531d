// SPDX-License-Identifier: MIT
/* The ring's wakeup rule (bpf/maps.bpf.h, rb_flags_len), run in the
 * kernel by tests/bpf/rb_wake.bpf.c: a reader that has fallen behind is
 * woken once per 256 KiB of unread records, not once per record. Needs
 * CAP_BPF and CAP_PERFMON (root here and in CI); skipped without them. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/rb_wake.skel.h"

#define RING (4u << 20)
#define SLOT(len) ((((len) + 8) + 7) / 8 * 8) /* a record's room in the ring */

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int discard(void *ctx, void *data, size_t len)
{
	(void)ctx, (void)data, (void)len;
	return 0;
}

static struct rb_wake_bpf *load_shift(unsigned shift)
{
	struct rb_wake_bpf *skel;
	struct bpf_map *m;
	int err;

	libbpf_set_print(quiet);
	skel = rb_wake_bpf__open();
	cr_assert(skel, "open: %s", strerror(errno));
	bpf_object__for_each_map(m, skel->obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_HASH ||
		    bpf_map__type(m) == BPF_MAP_TYPE_LRU_HASH)
			bpf_map__set_max_entries(m, 16);
	}
	bpf_map__set_max_entries(skel->maps.events, RING);
	if (shift)
		skel->rodata->wakeup_shift = shift;
	err = rb_wake_bpf__load(skel);
	if (err == -EPERM || err == -EACCES) {
		rb_wake_bpf__destroy(skel);
		cr_skip_test("loading BPF needs CAP_BPF: %s", strerror(-err));
	}
	cr_assert_eq(err, 0, "load: %s", strerror(-err));
	return skel;
}

static struct rb_wake_bpf *load(void)
{
	return load_shift(0); /* the object's default: 256 KiB */
}

static unsigned run(struct rb_wake_bpf *skel, unsigned records, unsigned len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	skel->bss->records = records;
	skel->bss->len = len;
	skel->bss->wakeups = 0;
	skel->bss->written = 0;
	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.rb_wake_run), &opts), 0,
		     "test run: %s", strerror(errno));
	cr_assert_eq(skel->bss->written, records, "%u of %u records written",
		     skel->bss->written, records);
	return skel->bss->wakeups;
}

Test(rb_wake, a_reader_behind_is_woken_once_per_256_kib)
{
	struct rb_wake_bpf *skel = load();
	unsigned len = 1000, n = 3000; /* 3 MB: eleven 256 KiB marks */
	unsigned want = n * SLOT(len) / (256 * 1024);

	cr_assert_eq(run(skel, n, len), want, "wakeups: %u, want %u", skel->bss->wakeups, want);
	rb_wake_bpf__destroy(skel);
}

Test(rb_wake, a_drained_ring_wakes_again_at_its_first_mark)
{
	struct rb_wake_bpf *skel = load();
	struct ring_buffer *rb;
	unsigned len = 4000, first = 256 * 1024 / SLOT(len); /* just below the mark */

	cr_assert_eq(run(skel, first, len), 0, "a wakeup below 256 KiB");
	cr_assert_eq(run(skel, 1, len), 1, "no wakeup at the mark");
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), discard, NULL, NULL);
	cr_assert(rb);
	cr_assert_geq(ring_buffer__consume(rb), 0);
	/* drained: small batches wake nobody, the next mark does */
	cr_assert_eq(run(skel, first, len), 0, "a wakeup below 256 KiB after a drain");
	cr_assert_eq(run(skel, 1, len), 1, "no wakeup at the mark after a drain");
	ring_buffer__free(rb);
	rb_wake_bpf__destroy(skel);
}

/* The mark is what userspace sets (an eighth of the ring, from
 * ring__wakeup_shift): 1 MiB here, over the same 3 MB. */
Test(rb_wake, the_mark_follows_wakeup_shift)
{
	struct rb_wake_bpf *skel = load_shift(20);
	unsigned len = 1000, n = 3000;
	unsigned want = n * SLOT(len) / (1024 * 1024);

	cr_assert_eq(want, 2);
	cr_assert_eq(run(skel, n, len), want, "wakeups: %u, want %u", skel->bss->wakeups, want);
	rb_wake_bpf__destroy(skel);
}
