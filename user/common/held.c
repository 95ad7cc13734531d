// SPDX-License-Identifier: MIT
#include "common/held.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <bpf/bpf.h>

#include "common/log.h"

void held__cont(int map_fd, uint32_t pid, uint64_t since_ns, uint64_t now_ns,
                struct held_counts *c, const char *what) {
  uint64_t held = now_ns > since_ns ? now_ns - since_ns : 0;

  if (kill((pid_t)pid, SIGCONT) && errno != ESRCH)
    warn("failed to continue pid %u after its %s: %s", pid, what,
         strerror(errno));
  if (map_fd >= 0)
    bpf_map_delete_elem(map_fd, &pid);
  c->continued++;
  if (held > c->held_ns_max)
    c->held_ns_max = held;
  debug("pid %u continued after %llu us of its %s", pid,
        (unsigned long long)held / 1000, what);
}
