/* SPDX-License-Identifier: MIT */
/* The gate hold, userspace side (issue #13; the kernel side and why:
 * bpf/gate_hold.bpf.h). A target that execs while the lazy syscall
 * tracepoints are not all attached is stopped in the kernel; this module
 * continues it (SIGCONT) once they are, or after GATE_HOLD_MAX_NS
 * whatever happens, and every one still stopped at shutdown. Its memory
 * is the kernel's map (gate_held, 1024 entries: when full, no one more
 * is stopped). Not thread-safe. */
#ifndef AR_CAPTURE_GATE_HOLD_H
#define AR_CAPTURE_GATE_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

/* The longest a process stays stopped (all 24 programs attach in 1-8 ms;
 * during a teardown, one RCU grace period more). */
#define GATE_HOLD_MAX_NS 1000000000ull

struct gate_hold;

/* map_fd: the gate_held map; on: the kernel's gate_hold_on; holds and
 * failed: its counters (all in the capture object's mmapped .bss, which
 * outlives this). Sets *on = 1. Returns NULL on -ENOMEM (nothing is
 * ever stopped then). */
struct gate_hold *gate_hold__new(int map_fd, volatile uint32_t *on,
				 const volatile __u64 *holds,
				 const volatile __u64 *failed);
/* Sets *on = 0, then continues every process still stopped. */
void gate_hold__free(struct gate_hold *h);

/* Continues the stopped processes: all of them when live (every gated
 * program is attached), else those stopped for GATE_HOLD_MAX_NS. now:
 * CLOCK_MONOTONIC ns. Cheap when the kernel stopped no one since the
 * last call (a load, no syscall). */
void gate_hold__release(struct gate_hold *h, bool live, uint64_t now);

/* "gate_hold: stopped=N continued=N after_deadline=N failed=N held_us_max=N" */
void gate_hold__print_stats(const struct gate_hold *h, FILE *f);

#endif
