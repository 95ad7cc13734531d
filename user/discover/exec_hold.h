/* SPDX-License-Identifier: MIT */
/* The exec hold, userspace side (issue #13; the kernel side and why:
 * bpf/exec_hold.bpf.h). A process that matched a selector at its exec is
 * stopped at its first TCP connect if its uprobes are not in yet; this
 * module says when they are (so that it is not stopped at all), and
 * continues (SIGCONT) the stopped ones once they are, or after
 * EXEC_HOLD_MAX_NS whatever happens, and all of them at shutdown. Fixed
 * memory (VERDICT_HOLD_MAX held at once; past that, the oldest is
 * continued at once). Not thread-safe. */
#ifndef AR_DISCOVER_EXEC_HOLD_H
#define AR_DISCOVER_EXEC_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The longest a process stays stopped (a binary being located for the
 * first time takes 0.3-0.5 s here). */
#define EXEC_HOLD_MAX_NS 1000000000ull

struct probes;
struct exec_hold;

/* NULL when the hold is off (probes__exec_hold_fd < 0) or out of memory:
 * every function below accepts NULL and does nothing. */
struct exec_hold *exec_hold__new(struct probes *p);
/* Turns the kernel side off, then continues every process still stopped,
 * including one whose record was not read yet. */
void exec_hold__free(struct exec_hold *h);

/* pid's probes are in: its first connect will not stop it. */
void exec_hold__probed(struct exec_hold *h, uint32_t pid);

/* An AR_EV_PROC_HELD record (pid stopped at monotonic time now). When
 * probes_ready, pid is continued at once; otherwise it waits for
 * exec_hold__release or the deadline. */
void exec_hold__stopped(struct exec_hold *h, const void *rec, size_t len, bool probes_ready,
			uint64_t now);

/* Continues the held processes: all of them when probes_ready, else those
 * held past EXEC_HOLD_MAX_NS. */
void exec_hold__release(struct exec_hold *h, bool probes_ready, uint64_t now);

/* " stopped=N continued=N after_deadline=N failed=N held_us_max=N" */
void exec_hold__print_stats(const struct exec_hold *h, FILE *f);

#endif
