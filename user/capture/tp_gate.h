/* SPDX-License-Identifier: MIT */
/* Lazy syscall tracepoints (issue #13): with explicit targets only
 * (--pid/--comm/--cgroup, not agent-first, not --trace-all), the syscall
 * tracepoints are attached only while a target lives, so that with none
 * the node's processes pay nothing at all: any attached syscall
 * tracepoint sets the syscall-trace work flag on every task, which alone
 * costs plaintext servers 1-4 % (docs/performance.md).
 *
 * The gate holds the links of the capture object's syscall tracepoint
 * programs. It attaches them all at once when a target appears (an exec
 * or fork record, or a live target seen by tp_gate__tick), and detaches
 * them when no target has lived for the idle delay (hysteresis: a target
 * that comes back soon finds them attached), on a thread of its own, as
 * each detach waits for RCU grace periods. A target that comes while
 * they are not all attached is stopped in the kernel until they are
 * (capture/gate_hold.h). The sched tracepoints
 * that find targets stay attached outside the gate. What a target does
 * before the attach is not seen; its sockets opened then are adopted on
 * their first read or write (bpf/sock.bpf.h conn_get). Not thread-safe. */
#ifndef AR_CAPTURE_TP_GATE_H
#define AR_CAPTURE_TP_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct bpf_object;
struct tp_gate;

/* Takes the programs of obj whose section is a syscall tracepoint and
 * turns off their autoattach; call between open and attach. Nothing is
 * attached yet. idle_ms: the detach delay. live: a flag in the kernel's
 * global data (bpf/gate_hold.bpf.h tp_gate_live), set to 1 once every
 * program is attached and to 0 before the first is detached; or NULL.
 * Returns NULL on -ENOMEM. */
struct tp_gate *tp_gate__new(struct bpf_object *obj, uint32_t idle_ms, volatile uint32_t *live);

/* Gates obj's syscall tracepoint programs too, after those already
 * gated: on each tracepoint they run after them, on every attach (a
 * teardown detaches the last attached first, and an attach extends what
 * is left in order). Attaches them now if the gate is attached. Returns
 * 0, or -errno when one failed to attach (the gate stays as it was). */
int tp_gate__add(struct tp_gate *g, struct bpf_object *obj);
void tp_gate__free(struct tp_gate *g);

/* Attaches every gated program if detached, and notes a target now.
 * event_ns: when the kernel saw the target (CLOCK_MONOTONIC, as
 * bpf_ktime_get_ns), or 0; the lag to "attached" is kept in the stats.
 * why: one line for the log, e.g. "pid 12 (curl) exec'd". Returns 0, or
 * -errno with nothing attached (the next call tries again). */
int tp_gate__open(struct tp_gate *g, uint64_t now_ns, uint64_t event_ns, const char *why);

/* A target lives at now_ns (live) or not: attaches (live, detached), or
 * detaches when none has lived for the idle delay. Returns as
 * tp_gate__open; 0 when nothing changed. */
int tp_gate__tick(struct tp_gate *g, uint64_t now_ns, bool live, const char *why);

bool tp_gate__attached(const struct tp_gate *g);

/* One stats line: "tracepoints: attached=0|1 cycles=N ...". */
void tp_gate__print_stats(const struct tp_gate *g, FILE *f);

#endif
