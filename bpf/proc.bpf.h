/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Process lifecycle: keeps the targets map current for --comm/--cgroup and
 * tells userspace which processes to scan for TLS libraries. */
#ifndef AR_PROC_BPF_H
#define AR_PROC_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "fastpath.bpf.h"
#include "exec_hold.bpf.h"
#include "gate_hold.bpf.h"
#include "sock_call.bpf.h" /* user_regs */

#define TARGET_MATCHED 1 /* matched --comm/--cgroup, or inherited by fork */
#define TARGET_PINNED 2  /* named by --pid: survives exec */
#define TARGET_PROMOTED 3 /* promoted (discover/promote.c, promote.bpf.h):
			   * survives exec, until the process exits */

/* Re-evaluates the filters for the current task after exec. */
static __always_inline bool exec_matches(__u32 tgid)
{
	__u8 *v = bpf_map_lookup_elem(&targets, &tgid);
	__u8 one = TARGET_MATCHED;
	bool kept = v && (*v == TARGET_PINNED || *v == TARGET_PROMOTED);
	bool match = kept;

	if (!match && targ_comm) {
		char comm[AR_COMM_LEN] = {};

		bpf_get_current_comm(comm, sizeof(comm));
		match = bpf_map_lookup_elem(&target_comms, comm) != NULL;
	}
	if (!match && targ_cgroup) {
		__u64 cg = bpf_get_current_cgroup_id();

		match = bpf_map_lookup_elem(&target_cgroups, &cg) != NULL;
	}
	if (match && !kept) {
		targets_put(tgid, one, BPF_ANY);
		exec_hold_arm(tgid); /* its probes race its first call */
	} else if (!match && v) {
		bpf_map_delete_elem(&targets, &tgid);
	}
	return match;
}

static __always_inline void emit_proc(__u16 type, __u32 tgid, __u32 tid,
				      const void *filename_src)
{
	struct ar_proc_event *ev;
	struct task_struct *task = bpf_get_current_task_btf();

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_add(AR_STAT_DROP_RINGBUF, 1);
		return;
	}
	ev->hdr.type = type;
	ev->hdr.flags = 0;
	ev->hdr.tgid = tgid;
	ev->hdr.tid = tid;
	ev->hdr._pad = 0;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->hdr.conn_id = 0;
	/* A fork record runs in the parent. */
	ev->ppid = type == AR_EV_PROC_FORK ? bpf_get_current_pid_tgid() >> 32 :
					     BPF_CORE_READ(task, real_parent, tgid);
	ev->_pad = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->filename[0] = 0;
	if (filename_src)
		bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename), filename_src);
	/* exec and fork must reach userspace at once (the new target is
	 * about to use its TLS library, and lazy tracepoints wait for
	 * it: user/capture/tp_gate.h); exit can wait for the next batch. */
	bpf_ringbuf_submit(ev, type == AR_EV_PROC_EXIT ? rb_flags() : BPF_RB_FORCE_WAKEUP);
	stat_add(AR_STAT_EVENTS, 1);
}

/* A targeted process mmaps a file whose name starts with "libssl": it is
 * loading OpenSSL now (python's `import ssl` does it long after exec), and
 * discovery must attach before the first SSL_write. Likewise "libcrypto"
 * (an aws-lc or BoringSSL one carries the AEAD API rustls goes through:
 * its contexts are tied to their socket when made, at the handshake).
 * Cost for other mmaps: the target check and a short dentry-name read.
 * Seen where mmap() takes the address space's lock for writing, with the
 * call's registers (no syscall tracepoint: sock_call.bpf.h says why).
 * Other write locks (munmap, mprotect, brk) of an untargeted process
 * cost the target check; of a target, the syscall number's compare. */
#define AR_NR_MMAP 9

SEC("tp_btf/mmap_lock_acquire_returned")
int BPF_PROG(lib_mmap, struct mm_struct *mm, bool write, bool success)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct pt_regs *regs;
	struct fdtable *fdt;
	struct file **fds, *f;
	int fd;
	const unsigned char *name;
	char base[8] = {};
	struct ar_proc_event *ev;

	if (!write || !success || !is_target_fast(id >> 32))
		return 0;
	regs = user_regs();
	if (!regs || regs->orig_ax != AR_NR_MMAP)
		return 0;
	task = bpf_get_current_task_btf();
	fd = (int)regs->r8; /* mmap(addr, len, prot, flags, fd, off) */
	if (fd < 0)
		return 0;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	/* clang 14 turns __builtin_memcmp into a call BPF cannot make. */
	if (bpf_probe_read_kernel(base, 6, name) || base[0] != 'l' || base[1] != 'i' ||
	    base[2] != 'b' ||
	    !((base[3] == 's' && base[4] == 's' && base[5] == 'l') ||
	      (base[3] == 'c' && base[4] == 'r' && base[5] == 'y')))
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_add(AR_STAT_DROP_RINGBUF, 1);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = AR_EV_LIB_MAP;
	ev->hdr.tgid = id >> 32;
	ev->hdr.tid = (__u32)id;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename), name);
	bpf_ringbuf_submit(ev, 0); /* wake discovery now */
	stat_add(AR_STAT_EVENTS, 1);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;

	if (tgid == self_tgid)
		return 0;
	if (!targ_all && !exec_matches(tgid))
		return 0;
	stat_add(AR_STAT_PROC_EXEC, 1);
	emit_proc(AR_EV_PROC_EXEC, tgid, (__u32)id, (void *)ctx + off);
	/* lazy tracepoints not all in: stopped until they are */
	gate_hold(tgid);
	return 0;
}

/* BTF-typed, so that the child's task (and with it thread vs process) is
 * visible; the classic tracepoint carries only the child's tid. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, cpid = child->pid;
	__u8 *v, val;

	/* In targ_all mode every process is traced; nothing to inherit. A
	 * new thread (child is a tid) gets an entry too; exit removes it.
	 * The child inherits PINNED or PROMOTED, so --pid and promotion
	 * cover the process's descendants across their exec; MATCHED is
	 * re-checked at exec. */
	if (targ_all)
		return 0;
	v = bpf_map_lookup_elem(&targets, &ptgid);
	if (!v)
		return 0;
	val = *v;
	bpf_map_update_elem(&targets, &cpid, &val, BPF_NOEXIST);
	fast_forget(cpid); /* a reused pid's stale "untargeted" */
	/* A new process (not a thread) that may never exec (a forked
	 * worker): discovery must probe its TLS code inside it, since
	 * uprobes are scoped per process. */
	if (child->tgid == cpid) {
		/* its probes go in after this record, and a forked worker
		 * may connect at once: held at that connect until they are
		 * (before the record: userspace's "probed" must find it) */
		exec_hold_arm(cpid);
		emit_proc(AR_EV_PROC_FORK, cpid, cpid, NULL);
	}
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	bool traced = is_target_fast(tgid);

	if (!targ_all)
		bpf_map_delete_elem(&targets, &tid);
	if (tid == tgid) {
		exec_hold_forget(tgid);
		gate_hold_forget(tgid);
	}
	/* a thread that dies inside a call never reaches its exit probe
	 * (active_ssl_args needs nothing: task storage dies with the task) */
	bpf_map_delete_elem(&active_sock_args, &id);
	if (tid != tgid || !traced)
		return 0;
	emit_proc(AR_EV_PROC_EXIT, tgid, tid, NULL);
	return 0;
}

#endif
