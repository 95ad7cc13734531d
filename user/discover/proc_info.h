/* SPDX-License-Identifier: MIT */
/* Reads who a process is from /proc: comm, executable, OTEL_SERVICE_NAME
 * and cgroup, into the AR_EV_PROC_INFO record that spans are built from. */
#ifndef AR_DISCOVER_PROC_INFO_H
#define AR_DISCOVER_PROC_INFO_H

#include <stddef.h>
#include <stdint.h>

#include <agentrace/events.h>

/* Fills rec (header type AR_EV_PROC_INFO, tgid pid, ts_ns now_mono).
 * Returns 0, or -errno (-ENOENT when the process is gone). */
int proc_info__read(uint32_t pid, uint64_t now_mono, struct ar_proc_info *rec);

/* The process's comm into out. Returns 0 or -errno (-ENOENT: gone). */
int proc_info__comm(uint32_t pid, char *out, size_t len);

#endif
