/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The gate hold (issue #13): with lazy tracepoints
 * (user/capture/tp_gate.h) a target that execs, or is forked, while they
 * are not all attached (detached, being detached, or being attached)
 * makes its first calls unseen. So it is stopped there (SIGSTOP, taken
 * as it returns to user mode, before its first instruction) and
 * userspace continues it (SIGCONT) once every gated program is attached,
 * or after a second whatever happens, and at shutdown
 * (user/capture/gate_hold.h). A process that comes while they are all
 * attached is never stopped: the common case; nor is one with a
 * controlling terminal (see gate_hold()). */
#ifndef AR_GATE_HOLD_BPF_H
#define AR_GATE_HOLD_BPF_H

#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

#ifndef AR_SIGSTOP
#define AR_SIGSTOP 19
#endif

/* Set by userspace (mmapped .bss). gate_hold_on: 1 with lazy tracepoints
 * and CAP_KILL, back to 0 at shutdown so that nothing is stopped that no
 * one will continue. tp_gate_live: 1 while every gated program is
 * attached (the gate writes it after the last attach and clears it
 * before the first detach). */
__u32 gate_hold_on = 0;
__u32 tp_gate_live = 0;
/* Counted here, read by userspace: holds made (it sweeps gate_held only
 * when this moved), and SIGSTOPs the kernel refused. */
__u64 gate_holds = 0;
__u64 gate_hold_failed = 0;

/* Processes stopped by the gate hold: tgid -> bpf_ktime_get_ns() of the
 * stop, 0 while the SIGSTOP is being sent (userspace leaves those for its
 * next sweep: a SIGCONT before the SIGSTOP would leave it stopped).
 * Writers: gate_hold() below (exec and fork of a target), deleted by
 * handle_exit and by userspace once it continued the process
 * (capture/gate_hold.c). A hash, not LRU: an evicted entry would be a
 * process no one continues; when full, no one more is stopped. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} gate_held SEC(".maps");

/* Stops the current process (tgid) until the gated programs are in. The
 * entry goes in before the signal and gets its time after it, so
 * userspace never continues a process that is not stopped yet. */
static __always_inline void gate_hold(__u32 tgid)
{
	__u64 zero = 0, *v;

	if (!gate_hold_on || tp_gate_live)
		return;
	/* Not a process with a terminal: its shell's job control would
	 * report it "Stopped" and leave it in the background once continued.
	 * An interactive target's first calls may be lost instead. */
	if (BPF_CORE_READ(bpf_get_current_task_btf(), signal, tty))
		return;
	if (bpf_map_update_elem(&gate_held, &tgid, &zero, BPF_NOEXIST))
		return; /* held already, or the map is full */
	if (bpf_send_signal(AR_SIGSTOP)) {
		bpf_map_delete_elem(&gate_held, &tgid);
		__sync_fetch_and_add(&gate_hold_failed, 1);
		return;
	}
	v = bpf_map_lookup_elem(&gate_held, &tgid);
	if (v)
		*v = bpf_ktime_get_ns() | 1; /* never 0 */
	__sync_fetch_and_add(&gate_holds, 1);
}

static __always_inline void gate_hold_forget(__u32 tgid)
{
	if (gate_hold_on)
		bpf_map_delete_elem(&gate_held, &tgid);
}

#endif
