/* SPDX-License-Identifier: MIT */
/*
 * Uprobes defined through tracefs (uprobe_events) and attached as trace
 * events. Kernels carrying the 2025 "perf: Revert to requiring
 * CAP_SYS_ADMIN for uprobes" change refuse the perf uprobe PMU without
 * CAP_SYS_ADMIN; this path needs only CAP_PERFMON plus write access to
 * tracefs, so a least-privilege DaemonSet can still probe OpenSSL.
 */
#ifndef AR_CAPTURE_UPROBE_TRACEFS_H
#define AR_CAPTURE_UPROBE_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_link;
struct bpf_program;

#define UPROBE_EVENT_MAX 64

/* Defines the probe and attaches prog, for every process (pid <= 0) or
 * only inside process pid. event receives the event's name for
 * uprobe_tracefs__remove(). Returns the link, or NULL with errno set and
 * nothing left defined. */
struct bpf_link *uprobe_tracefs__attach(struct bpf_program *prog, bool retprobe,
					const char *path, size_t off, int pid,
					char event[UPROBE_EVENT_MAX]);

/* Deletes an event defined by uprobe_tracefs__attach (after its link is
 * destroyed). Failures are logged. */
void uprobe_tracefs__remove(const char *event);

/* Deletes events left behind by agentrace processes that no longer run. */
void uprobe_tracefs__remove_stale(void);

#endif
