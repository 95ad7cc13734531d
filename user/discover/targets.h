/* SPDX-License-Identifier: MIT */
/* Marks processes that predate the daemon and match --comm/--cgroup as
 * targets; the kernel handles processes started later. */
#ifndef AR_DISCOVER_TARGETS_H
#define AR_DISCOVER_TARGETS_H

#include <stddef.h>
#include <stdint.h>

struct probes;

/* Returns the number of processes marked, or -errno. */
int targets__seed(struct probes *p, const char *const *comms, size_t n_comms,
		  const uint64_t *cgroups, size_t n_cgroups);

#endif
