/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The exec hold (issue #13): a process that becomes a target by selector
 * (--comm/--cgroup) at its exec gets its uprobes attached inside it by
 * userspace afterwards (scoped mode), which takes an RCU grace period in
 * the kernel (10-30 ms here); curl reaches its first SSL_write sooner. So
 * from its exec until userspace says its probes are in, its first TCP
 * connect stops it (SIGSTOP, delivered as connect returns, before a byte
 * of its TLS handshake), and userspace continues it (SIGCONT) once its
 * probes are attached (discover/exec_hold.h). A process whose probes are
 * in before it connects is never stopped: the common case. */
#ifndef AR_EXEC_HOLD_BPF_H
#define AR_EXEC_HOLD_BPF_H

#include "maps.bpf.h"

#define AR_SIGSTOP 19

enum exec_hold_state {
	HOLD_PENDING = 1, /* exec'd as a selector match; probes not in yet */
	HOLD_STOPPED = 2, /* stopped at its first connect; userspace continues it */
};

/* Set by userspace (mmapped .bss): 1 in scoped mode with --comm/--cgroup
 * selectors, back to 0 at shutdown so that nothing is stopped that no one
 * will continue. */
__u32 exec_hold_on = 0;

/* Selector matches whose probes are not in yet: tgid -> enum
 * exec_hold_state. Writers: proc.bpf.h at a matching exec (PENDING),
 * exec_hold_connect (PENDING -> STOPPED), deleted at exit; userspace
 * deletes an entry once the process's probes are attached or it was
 * continued (capture/probes.c). LRU: entries of processes whose exit was
 * missed age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64); /* 64 bits: the cmpxchg of BPF v1-v2 */
} exec_hold SEC(".maps");

/* At a matching exec: hold the process's first connect until its probes
 * are in. */
static __always_inline void exec_hold_arm(__u32 tgid)
{
	__u64 v = HOLD_PENDING;

	if (exec_hold_on)
		bpf_map_update_elem(&exec_hold, &tgid, &v, BPF_ANY);
}

static __always_inline void exec_hold_forget(__u32 tgid)
{
	if (exec_hold_on)
		bpf_map_delete_elem(&exec_hold, &tgid);
}

/* A TCP connect() of a target, from inside it (sock_state.bpf.h: the
 * socket layer sees only TCP over IPv4/IPv6, no unix socket to nscd):
 * stops the process once if its probes are not in yet. The record goes
 * first: a process is stopped only when userspace will hear of it (a
 * full ring stops no one). */
static __always_inline void exec_hold_connect(__u32 tgid)
{
	struct ar_proc_event *ev;
	__u64 *v;

	if (!exec_hold_on)
		return;
	v = bpf_map_lookup_elem(&exec_hold, &tgid);
	if (!v || *v != HOLD_PENDING)
		return;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_add(AR_STAT_DROP_RINGBUF, 1);
		return;
	}
	/* one stop per process, whichever thread connects first */
	if (__sync_val_compare_and_swap(v, HOLD_PENDING, HOLD_STOPPED) != HOLD_PENDING) {
		bpf_ringbuf_discard(ev, 0);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = AR_EV_PROC_HELD;
	ev->hdr.tgid = tgid;
	ev->hdr.tid = (__u32)bpf_get_current_pid_tgid();
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	if (bpf_send_signal(AR_SIGSTOP))
		ev->hdr.flags = AR_F_HOLD_FAILED; /* not stopped: nothing to continue */
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	stat_add(AR_STAT_EVENTS, 1);
}

#endif
