/* SPDX-License-Identifier: MIT */
/* Processes a BPF program stopped (SIGSTOP) until something was in place:
 * the exec hold (discover/exec_hold.c) and the gate hold
 * (capture/gate_hold.c) both continue them the same way, as does the hello
 * hold (discover/hello_hold.h), whose SIGSTOP comes from userspace. */
#ifndef AGENTRACE_COMMON_HELD_H
#define AGENTRACE_COMMON_HELD_H

#include <stdint.h>

struct held_counts {
  uint64_t continued;
  uint64_t held_ns_max; /* the longest any was stopped */
};

/* Continues pid, stopped since since_ns (monotonic), and deletes it from
 * map_fd, the BPF map of held pids (-1: none, a hold made from userspace);
 * counts it in c. what names the hold in messages ("exec hold"). */
void held__cont(int map_fd, uint32_t pid, uint64_t since_ns, uint64_t now_ns,
                struct held_counts *c, const char *what);

#endif
