/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which processes are traced, and per-CPU counters: shared by the capture
 * object (maps.bpf.h) and the injection object (inject.bpf.c), which
 * reuses capture's targets map by fd, so both see the same targets. */
#ifndef AR_TARGET_BPF_H
#define AR_TARGET_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Set by userspace between open and load. */
const volatile bool targ_all = true;  /* trace every process but ourselves */
const volatile __u32 self_tgid = 0;   /* agentrace's own pid: never traced */

/* Processes to trace when !targ_all: tgid -> 1.
 * Writers: userspace (initial scan, --pid), proc.bpf.h on exec/fork of a
 * match, promote.bpf.h on a promoting read. Deleted by proc.bpf.h on
 * exit. The injection object reads capture's map (bpf_map__reuse_fd). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* One lookup at most for an untargeted process. */
static __always_inline bool is_target(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (targ_all)
		return true;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* Adds n to counter idx of a per-CPU array of u64 counters. */
static __always_inline void counter_add(void *map, __u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		*v += n;
}

#endif
