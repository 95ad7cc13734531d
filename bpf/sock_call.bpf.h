/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The syscall behind a socket tracepoint (issue #13). sock_send_length
 * and sock_recv_length fire inside the kernel's sock_sendmsg and
 * sock_recvmsg, once per call, after the bytes moved; the task's saved
 * user registers still hold the syscall's number and arguments. Reading
 * them there, instead of at syscall tracepoints, spares every other
 * thread on the node the syscall slow path: one attached syscall
 * tracepoint makes every syscall of every process take it
 * (docs/performance.md, rows F and S of node_overhead). */
#ifndef AR_SOCK_CALL_BPF_H
#define AR_SOCK_CALL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "fdsock.bpf.h" /* AR_AF_INET*, AR_IPPROTO_TCP */

#ifndef __TARGET_ARCH_x86
#error "sock_call.bpf.h reads x86-64 syscall registers; vmlinux/ has x86 only"
#endif

#define AR_PF_IO_WORKER 0x00000010 /* io_uring worker: no user registers of a call */
#define AR_PF_KTHREAD 0x00200000
#define AR_MSG_PEEK 2

/* x86-64 syscall numbers of the calls that carry a socket's data. */
#define AR_NR_READ 0
#define AR_NR_WRITE 1
#define AR_NR_READV 19
#define AR_NR_WRITEV 20
#define AR_NR_SENDTO 44
#define AR_NR_RECVFROM 45
#define AR_NR_SENDMSG 46
#define AR_NR_RECVMSG 47

/* How a data syscall hands over its bytes. */
enum sock_call_kind {
	SCK_BUF, /* read, write, recvfrom, sendto: a buffer */
	SCK_IOV, /* readv, writev: an iovec array */
	SCK_MSG, /* recvmsg, sendmsg: a user_msghdr */
};

/* One data syscall, as its entry tracepoint saw it. */
struct sock_syscall {
	__u64 buf; /* buffer, iovec array or user_msghdr */
	__u64 len; /* byte count; readv/writev: iovec count */
	__s32 fd;
	__u32 kind; /* enum sock_call_kind */
};

/* sk is a TCP/IPv4 or TCP/IPv6 socket: two loads, no helper. UNIX and UDP
 * sockets, which fire the same tracepoints, leave here. */
static __always_inline bool sock_is_tcp(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return (family == AR_AF_INET || family == AR_AF_INET6) &&
	       sk->sk_protocol == AR_IPPROTO_TCP;
}

/* The current task's saved user registers, as its syscall entered (the
 * number in orig_ax, the arguments in di, si, dx, r10, r8, r9), or NULL
 * for a task that has none of a call: a kernel thread, an io_uring
 * worker. The one reader of them for every program here (data calls,
 * connect in sock_state.bpf.h, mmap in proc.bpf.h). */
static __always_inline struct pt_regs *user_regs(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->flags & (AR_PF_KTHREAD | AR_PF_IO_WORKER))
		return NULL;
	return (struct pt_regs *)bpf_task_pt_regs(task);
}

/* The current task's data syscall that moved bytes on a socket: false
 * when it was none (io_uring, sendfile, splice, sendmmsg/recvmmsg, a
 * kernel thread's socket), which the caller counts. send says which
 * tracepoint fired, so a mismatched number (a read that sent: a kernel
 * socket under a file) is refused too. */
static __always_inline bool sock_call_of(struct sock_syscall *c, bool send)
{
	struct pt_regs *regs = user_regs();
	long nr;

	if (!regs)
		return false;
	nr = regs->orig_ax;
	c->fd = (__s32)regs->di;
	c->buf = regs->si;
	c->len = regs->dx;
	switch (nr) {
	case AR_NR_WRITE:
	case AR_NR_SENDTO:
		c->kind = SCK_BUF;
		return send;
	case AR_NR_WRITEV:
		c->kind = SCK_IOV;
		return send;
	case AR_NR_SENDMSG:
		c->kind = SCK_MSG;
		return send;
	case AR_NR_READ:
	case AR_NR_RECVFROM:
		c->kind = SCK_BUF;
		return !send;
	case AR_NR_READV:
		c->kind = SCK_IOV;
		return !send;
	case AR_NR_RECVMSG:
		c->kind = SCK_MSG;
		return !send;
	}
	return false;
}

#endif
