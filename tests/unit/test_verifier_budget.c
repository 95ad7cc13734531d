// SPDX-License-Identifier: MIT
/* Every BPF program of capture.bpf.o and inject.bpf.o loads, in each mode
 * whose read-only switches prune code differently, and leaves headroom
 * under the verifier's 1M-instruction limit. A kernel's verifier can
 * explore more states than the last one (6.18.44 ran exit_read and
 * inject_msg of an unchanged tree past the limit, and nothing started):
 * this names the program and its count instead of 90 failing e2e tests.
 * Needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (root here and in CI). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "capture.skel.h"
#include "inject.skel.h"

#define LIMIT 1000000u
/* Fail well before the hard limit: a program near it is one kernel
 * update or one more branch away from not loading at all. */
#define BUDGET (LIMIT * 7 / 10)
#define LOG_BYTES (64 * 1024)
#define MAX_PROGS 128

struct logs {
	char buf[MAX_PROGS][LOG_BYTES];
	struct bpf_program *prog[MAX_PROGS];
	int n;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Asks the verifier for its statistics line of every program. */
static void want_stats(struct bpf_object *obj, struct logs *l)
{
	struct bpf_program *p;

	l->n = 0;
	bpf_object__for_each_program(p, obj) {
		cr_assert_lt(l->n, MAX_PROGS);
		l->buf[l->n][0] = '\0';
		l->prog[l->n] = p;
		cr_assert_eq(bpf_program__set_log_level(p, 4), 0); /* BPF_LOG_STATS */
		cr_assert_eq(bpf_program__set_log_buf(p, l->buf[l->n], LOG_BYTES), 0);
		l->n++;
	}
}

/* Checks the "processed N insns" of every program that loaded. */
static void check_budget(const char *what, struct logs *l)
{
	unsigned int worst = 0, checked = 0;
	const char *worst_name = "-";

	for (int i = 0; i < l->n; i++) {
		const char *s = strstr(l->buf[i], "processed ");
		unsigned long insns;

		if (!bpf_program__autoload(l->prog[i]))
			continue;
		cr_assert(s, "%s: %s: no verifier statistics in its log", what,
			  bpf_program__name(l->prog[i]));
		insns = strtoul(s + strlen("processed "), NULL, 10);
		cr_expect_lt(insns, BUDGET, "%s: %s: the verifier processed %lu instructions, "
			     "over the budget of %u (limit %u)", what,
			     bpf_program__name(l->prog[i]), insns, BUDGET, LIMIT);
		if (insns > worst) {
			worst = (unsigned int)insns;
			worst_name = bpf_program__name(l->prog[i]);
		}
		checked++;
	}
	cr_assert_gt(checked, 0, "%s: no program checked", what);
	cr_log_info("%s: %u programs, the most verified: %s, %u instructions", what, checked,
		    worst_name, worst);
}

/* The read-only switches of capture.bpf.c that probes.c sets per mode. */
static void capture_mode(const char *what, bool all, bool promote, bool comm)
{
	static struct logs l;
	struct capture_bpf *skel;
	int err;

	libbpf_set_print(quiet);
	skel = capture_bpf__open();
	cr_assert(skel, "open: %s", strerror(errno));
	skel->rodata->targ_all = all;
	skel->rodata->promote_first_write = promote;
	skel->rodata->bounded_bytes = promote ? 1024 : 0;
	skel->rodata->targ_comm = comm;
	want_stats(skel->obj, &l);
	err = capture_bpf__load(skel);
	if (err) {
		for (int i = 0; i < l.n; i++)
			if (strstr(l.buf[i], "processed "))
				fprintf(stderr, "%s: %s: %s\n", what, bpf_program__name(l.prog[i]),
					strstr(l.buf[i], "processed "));
	}
	cr_assert_eq(err, 0, "%s: capture.bpf.o does not load: %s", what, strerror(-err));
	check_budget(what, &l);
	capture_bpf__destroy(skel);
}

Test(verifier_budget, capture_in_every_mode)
{
	capture_mode("capture --trace-all", true, false, false);
	capture_mode("capture agent-first", false, true, false);
	capture_mode("capture --comm", false, false, true);
	capture_mode("capture --comm beside promotion", false, true, true);
}

Test(verifier_budget, inject)
{
	static struct logs l;
	struct inject_bpf *skel;
	int err;

	libbpf_set_print(quiet);
	skel = inject_bpf__open();
	cr_assert(skel, "open: %s", strerror(errno));
	want_stats(skel->obj, &l);
	err = inject_bpf__load(skel);
	cr_assert_eq(err, 0, "inject.bpf.o does not load: %s", strerror(-err));
	check_budget("inject", &l);
	inject_bpf__destroy(skel);
}
