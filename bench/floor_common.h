/* SPDX-License-Identifier: MIT */
/* What the floor tools (floor_probes.c, floor_tracepoints.c) share: an
 * EMPTY program (r0 = 0; exit) and "print READY, hold the attachments
 * until SIGINT/SIGTERM". Header-only: each tool is one file. */
#ifndef AR_BENCH_FLOOR_COMMON_H
#define AR_BENCH_FLOOR_COMMON_H

#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>

static volatile sig_atomic_t floor_exiting;

static void floor_on_signal(int sig)
{
	(void)sig;
	floor_exiting = 1;
}

/* Loads a do-nothing program of this type, for attach type attach (0:
 * the type's default); returns its fd or -1 (errno). */
static int floor_empty_prog(enum bpf_prog_type type, const char *name,
			    enum bpf_attach_type attach)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach);
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, name, "GPL", insns, 2, &o);
}

/* Prints READY and keeps the process (and its attachments) alive until
 * SIGINT or SIGTERM; returns 0. */
static int floor_hold(void)
{
	signal(SIGINT, floor_on_signal);
	signal(SIGTERM, floor_on_signal);
	printf("READY\n");
	fflush(stdout);
	while (!floor_exiting)
		pause();
	return 0;
}

#endif
