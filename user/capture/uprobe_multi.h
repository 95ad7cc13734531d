/* SPDX-License-Identifier: MIT */
/*
 * Uprobes through the kernel's uprobe_multi link (BPF_TRACE_UPROBE_MULTI,
 * Linux >= 6.6): one bpf(BPF_LINK_CREATE) places every offset of one
 * program in one file, optionally inside one process only. No perf event
 * and no tracefs event is created, so a per-process attachment costs one
 * syscall per program instead of a perf_event_open, a tracefs write and a
 * link per offset, and the perf uprobe PMU's CAP_SYS_ADMIN check does not
 * apply. libbpf 1.1 has no API for it: the attr is built here.
 *
 * A program attached this way must be loaded with expected_attach_type
 * UPROBE_MULTI_ATTACH_TYPE, and can then be attached no other way.
 */
#ifndef AR_CAPTURE_UPROBE_MULTI_H
#define AR_CAPTURE_UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* enum bpf_attach_type BPF_TRACE_UPROBE_MULTI (uapi, Linux 6.6). */
#define UPROBE_MULTI_ATTACH_TYPE 48

/* True when the running kernel creates uprobe_multi links. Asked once,
 * with a two-instruction program: a link for a pid that cannot exist fails
 * with ESRCH on such kernels, EINVAL before. */
bool uprobe_multi__supported(void);

/* Places prog_fd at offs[0..n) of the file at path, as uretprobes when ret,
 * inside process pid only (pid > 0) or in every process that maps the file.
 * Returns the link fd (closing it detaches everything), or -errno with
 * nothing attached. */
int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offs, size_t n,
			 bool ret, int pid);

#endif
