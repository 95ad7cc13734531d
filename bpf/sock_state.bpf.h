/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A TCP socket's births and closes, from inet_sock_set_state (issue #13),
 * in place of the connect, accept and close syscall tracepoints:
 *   SYN_SENT      inside connect() (or a fast-open send) of its owner,
 *                 before the local port is chosen: marks it a client,
 *                 with the conns key its registers give; a target may be
 *                 held here (exec_hold.bpf.h), an untargeted process's
 *                 socket is watched for its first write (promote.bpf.h).
 *   SYN_RECV      a listener's child, in softirq: marks it a server.
 *   ESTABLISHED   from SYN_SENT, the tuple complete: a target's client
 *                 end is noted for promotion of the server it calls.
 *   FIN_WAIT1 or  the last close of it (tcp_close sets both shutdown
 *   LAST_ACK      bits first; a shutdown(SHUT_WR) does not): its
 *                 connection ends.
 *   CLOSE         reset, failed connect, or the end of the above: its
 *                 connection ends if it had not, and its mark goes.
 * The conns entry itself is made by the first data call (sock.bpf.h). */
#ifndef AR_SOCK_STATE_BPF_H
#define AR_SOCK_STATE_BPF_H

#include "sock.bpf.h"
#include "exec_hold.bpf.h"

#define AR_NR_CONNECT 42

/* The fd of the socket being connected: connect(fd, ...), or a fast-open
 * sendto/sendmsg(fd, ...); -1 when the registers say neither. */
static __always_inline __s32 connecting_fd(void)
{
	struct pt_regs *regs = user_regs();
	long nr;

	if (!regs)
		return -1;
	nr = regs->orig_ax;
	if (nr != AR_NR_CONNECT && nr != AR_NR_SENDTO && nr != AR_NR_SENDMSG)
		return -1;
	return (__s32)regs->di;
}

static __always_inline void sock_connecting(const struct sock *sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__s32 fd = connecting_fd();
	struct sock_key k = { .tgid = tgid, .fd = fd };
	bool target = is_target_fast(tgid);

	/* explicit targets only: an untargeted process's socket needs no
	 * mark (no watch, no bounded capture; promotion cannot make it a
	 * target later, and a fork's child gets no socket born here) */
	if (!promote_first_write && !bounded_bytes && !target)
		return;
	sk_mark_put(sk, fd >= 0 ? tgid : 0, fd, 0, AR_ROLE_CLIENT, true);
	if (fd < 0 || tgid == self_tgid)
		return;
	if (target)
		exec_hold_connect(tgid);
	else if (promote_first_write)
		watch_put(&k, WATCH_CONNECTED);
}

/* The socket's last close, or its end: its connection, and a promotion
 * watch that never saw its first call, go. */
static __always_inline void sock_closing(const struct sock *sk, bool final)
{
	struct sk_mark *m = sk_mark_of(sk);
	struct sock_key k;

	if (!m)
		return;
	if (m->tgid && !(m->ended & SK_ENDED_CAPTURE)) {
		k.tgid = m->tgid;
		k.fd = m->fd;
		m->ended |= SK_ENDED_CAPTURE;
		if (promote_first_write && !watch_none(k.tgid))
			watch_del(&k);
		if (!conn_end(k.tgid, k.fd, m->tag ? m->tag : ~0u) && m->tag)
			fast_unskip(k.tgid, m->tag);
	}
	if (final) {
		__u64 key = sk_addr(sk);

		bpf_map_delete_elem(&sk_marks, &key);
	}
}

static __always_inline int sock_state(const struct sock *sk, int oldstate, int newstate)
{
	struct sk_mark *m;

	if (sk->sk_protocol != AR_IPPROTO_TCP)
		return 0;
	switch (newstate) {
	case AR_TCP_SYN_SENT:
		sock_connecting(sk);
		break;
	case AR_TCP_SYN_RECV:
		sk_mark_put(sk, 0, -1, 0, AR_ROLE_SERVER, true);
		break;
	case AR_TCP_ESTABLISHED:
		m = oldstate == AR_TCP_SYN_SENT ? sk_mark_of(sk) : NULL;
		if (m && m->tgid && is_target(m->tgid))
			promote_note_client(sk, m->tgid);
		break;
	default:
		if (sk_closing(sk, newstate))
			sock_closing(sk, newstate == AR_TCP_CLOSE);
		break;
	}
	return 0;
}

#endif
