// SPDX-License-Identifier: MIT
/* The kernel's per-CPU scratch claim (bpf/emit.bpf.h), run in the kernel:
 * tests/bpf/scratch_claim.bpf.c nests claims the way a uprobe program
 * preempted on its CPU would meet them, and reports the first check that
 * failed. Needs CAP_BPF and CAP_PERFMON (root here and in CI); skipped
 * without them, loudly. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/scratch_claim.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Every map this object declares comes from bpf/maps.bpf.h; only scratch
 * is used, so the others are made as small as the kernel allows. */
static void shrink_maps(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
			bpf_map__set_max_entries(m, 4096);
		else if (bpf_map__type(m) == BPF_MAP_TYPE_HASH ||
			 bpf_map__type(m) == BPF_MAP_TYPE_LRU_HASH)
			bpf_map__set_max_entries(m, 16);
	}
}

Test(scratch_claim, nested_claims_on_one_cpu_never_share_a_slot)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = 0);
	struct scratch_claim_bpf *skel;
	int err;

	libbpf_set_print(quiet);
	skel = scratch_claim_bpf__open();
	cr_assert(skel, "open: %s", strerror(errno));
	shrink_maps(skel->obj);
	err = scratch_claim_bpf__load(skel);
	if (err == -EPERM || err == -EACCES) {
		scratch_claim_bpf__destroy(skel);
		cr_skip_test("loading BPF needs CAP_BPF: %s", strerror(-err));
	}
	cr_assert_eq(err, 0, "load: %s", strerror(-err));
	for (int cpu = 0; cpu < libbpf_num_possible_cpus() && cpu < 2; cpu++) {
		opts.cpu = cpu;
		skel->data->step = -1;
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.scratch_claim), &opts);
		cr_assert_eq(err, 0, "test run on cpu %d: %s", cpu, strerror(errno));
		cr_assert_eq(skel->data->step, 0,
			     "cpu %d: claim check %d failed (1 no slot, 2 the same slot, "
			     "3/4/6 a header overwritten, 5 wrong slot count, 7 a slot not released)",
			     cpu, skel->data->step);
	}
	scratch_claim_bpf__destroy(skel);
}
