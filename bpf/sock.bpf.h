/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sockets: fd -> TCP socket, connection lifecycle and plaintext data.
 * Lifecycle entry probes stash arguments, their exit probes use the
 * result; a data call's socket tracepoint does both at once. */
#ifndef AR_SOCK_BPF_H
#define AR_SOCK_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "emit.bpf.h"
#include "fastpath.bpf.h"
#include "fdsock.bpf.h"
#include "aead_link.bpf.h"
#include "sock_call.bpf.h"

#define AR_EINPROGRESS 115

static __always_inline void emit_conn_event(__u16 type, __u16 flags, __u64 conn_id,
					    __s32 fd, __u8 role, struct sock *sk,
					    const __u64 *bytes)
{
	struct ar_conn_event ev = {};
	__u64 id = bpf_get_current_pid_tgid();

	ev.hdr.type = type;
	ev.hdr.flags = flags;
	ev.hdr.tgid = id >> 32;
	ev.hdr.tid = (__u32)id;
	ev.hdr.ts_ns = bpf_ktime_get_ns();
	ev.hdr.conn_id = conn_id;
	ev.fd = fd;
	ev.role = role;
	if (sk)
		read_tuple(sk, &ev.tuple);
	if (bytes) {
		ev.bytes[0] = bytes[0];
		ev.bytes[1] = bytes[1];
	}
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), rb_flags_len(sizeof(ev))))
		stat_add(AR_STAT_DROP_RINGBUF, 1);
	else
		stat_add(AR_STAT_EVENTS, 1);
}

/* The connection state for (tgid, fd): existing, or new when fd is a TCP
 * socket, and want (when not NULL) is that socket (fresh means
 * connect/accept just made it, so any stale entry for a reused fd is
 * replaced). NULL when fd is not a TCP socket. */
static __always_inline struct conn_state *conn_get_sk(__u32 tgid, __s32 fd, __u8 role,
						      bool fresh, const struct sock *want)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state st = {}, *cur;
	struct sock *sk;

	if (!fresh) {
		cur = bpf_map_lookup_elem(&conns, &k);
		if (cur)
			return cur;
	}
	sk = fd_tcp_sock(fd);
	if (!sk || (want && sk != want))
		return NULL;
	st.conn_id = new_conn_id();
	st.role = role;
	if (bpf_map_update_elem(&conns, &k, &st, BPF_ANY)) {
		stat_add(AR_STAT_DROP_CONN_MAP, 1);
		return NULL;
	}
	fast_unskip(tgid, fd);
	stat_add(AR_STAT_CONN_OPEN, 1);
	emit_conn_event(AR_EV_CONN_OPEN, 0, st.conn_id, fd, role, sk, NULL);
	return bpf_map_lookup_elem(&conns, &k);
}

static __always_inline struct conn_state *conn_get(__u32 tgid, __s32 fd, __u8 role, bool fresh)
{
	return conn_get_sk(tgid, fd, role, fresh, NULL);
}

/* Untargeted processes' connects and first writes (needs fd_tcp_sock). */
#include "bounded.bpf.h"
#include "promote.bpf.h"

/* A socket call's arguments, for the exit probe (a data call: for
 * sock_data_exit, right after). sk, when not NULL, is the socket the call
 * moved bytes on: a connection is made for fd only if fd is that socket. */
static __always_inline void stash_sock_args(__s32 fd, __u64 buf, __u32 iovcnt, __u32 call,
					    const struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sock_args a;

	if (!is_target_fast(id >> 32)) {
		__u32 kind = call == SC_CONNECT || call == SC_ACCEPT ? 0 : fd_kind(id >> 32, fd);
		bool write = call == SC_WRITE || call == SC_WRITEV || call == SC_SENDMSG;

		if (kind == SKIP_ALL || (kind == SKIP_READS && !write))
			return;
		/* a skipped client's write: only a new POST needs the slow
		 * path (bounded_new_post, len = iovcnt here) */
		if (kind == SKIP_READS && call == SC_WRITE && (iovcnt < 5 || !bounded_is_post(buf)))
			return;
		promote_enter(id, fd, buf, iovcnt, call);
		bounded_enter(id, fd, buf, iovcnt, call);
		return;
	}
	/* Not a TLS socket whose stream is linked (tls_fd_settle); and only
	 * TCP sockets are worth the exit probe's work. */
	if (call != SC_CONNECT && call != SC_ACCEPT && fast_tls_settled(id >> 32, fd))
		return;
	if (call != SC_CONNECT && call != SC_ACCEPT &&
	    !conn_get_sk(id >> 32, fd, AR_ROLE_UNKNOWN, false, sk))
		return;
	/* built here, not above: alive across the untargeted path it was 24
	 * bytes more of a stack that bounded_reopen's frame shares (512) */
	a = (struct sock_args){ .buf = buf, .fd = fd, .call = call, .iovcnt = iovcnt };
	if (args_stash(id, &a))
		stat_add(AR_STAT_DROP_ARGS_MAP, 1);
}

/* An SSL call in progress on this thread owns this syscall: link the SSL*
 * to fd and return the SSL*, or 0 when there is none. */
static __always_inline __u64 note_nested_ssl(__s32 fd)
{
	struct ssl_calls *c = ssl_calls_get(0);
	struct ssl_args *a;

	if (!c)
		return 0;
	a = &c->dir[AR_DIR_EGRESS];
	if (!a->live)
		a = &c->dir[AR_DIR_INGRESS];
	if (!a->live)
		return 0;
	a->fd = fd;
	return a->ssl ? a->ssl : 1;
}

/* The SSL* ssl, in whose call this syscall on the TLS socket sock ran, is
 * linked to that socket already (an earlier call's exit did it): the
 * target's further reads and writes on fd carry nothing the programs
 * need, so let them return at entry (SKIP_TLS, fastpath.bpf.h). Wrk's
 * 4 reads and 2 writes of ciphertext a request cost 3.1 us of BPF before
 * (tls_traced). Not while AEAD probes are on (rustls ties a context to
 * the socket its thread last read, aead_note_read), and never for a
 * memory-BIO SSL* (its ciphertext leaves outside its calls, and it is
 * linked by those writes, tls_bio_link). */
static __always_inline void tls_fd_settle(__u64 id, __s32 fd, const struct conn_state *sock,
					  __u64 ssl)
{
	struct tls_key tk = {};
	struct tls_state *ts;

	if (aead_on || ssl <= 1)
		return;
	tk.tgid = id >> 32;
	tk.ssl = ssl;
	ts = bpf_map_lookup_elem(&tls_conns, &tk);
	if (ts && ts->sock_conn_id == sock->conn_id)
		fast_skip(tk.tgid, fd, SKIP_TLS);
}

/* First three bytes of a TLS record header: any record type
 * (change_cipher_spec 0x14, alert 0x15, handshake 0x16, application data
 * 0x17), version 3.0-3.4. A socket first seen mid-stream (opened before
 * we started, or evicted from conns) starts with application data, and
 * no HTTP/1 message starts with a byte below 0x20. */
static __always_inline bool looks_like_tls(__u64 buf)
{
	__u8 h[3];

	return !bpf_probe_read_user(h, sizeof(h), (void *)buf) &&
	       h[0] >= 0x14 && h[0] <= 0x17 && h[1] == 0x03 && h[2] <= 0x04;
}

/* A memory-BIO SSL_write's ciphertext leaves through the next write on a
 * TLS socket from the same thread, soon after. Link the SSL* to that
 * socket when the sizes agree: ciphertext is the plaintext plus at most
 * 64 bytes of record overhead per record (one per SSL_write and per
 * 16 KiB), and 128 bytes of handshake tail (TLS 1.3 Finished and
 * ChangeCipherSpec, which node flushes with the first request), within
 * 10 ms. */
static __always_inline void tls_bio_link(__u64 id, __s32 fd, const struct conn_state *sock,
					 long ret)
{
	struct bio_pending *p = bpf_map_lookup_elem(&tls_bio_pending, &id);
	struct tls_key tk = {};
	struct tls_state *ts;
	__u64 n, now = bpf_ktime_get_ns();

	if (!p)
		return;
	tk.tgid = id >> 32;
	tk.ssl = p->ssl;
	n = p->len;
	if (now - p->ts > 10000000ull || (__u64)ret < n ||
	    (__u64)ret > n + 64 * (n / 16384 + p->calls) + 128) {
		bpf_map_delete_elem(&tls_bio_pending, &id);
		return;
	}
	bpf_map_delete_elem(&tls_bio_pending, &id);
	ts = bpf_map_lookup_elem(&tls_conns, &tk);
	if (!ts || ts->sock_conn_id)
		return;
	ts->sock_conn_id = sock->conn_id;
	ts->fd = fd;
	stat_add(AR_STAT_TLS_BIO_LINK, 1);
}

#define SOCK_EMIT_VEC (1ull << 63) /* in sock_emit's iovcnt: buf is an iovec array */

/* Emits n bytes of a data call into scratch slot slot: from an iovec
 * array at buf when iovcnt has SOCK_EMIT_VEC (the count in its low
 * bits), else from buf. (Five arguments at most.) A global
 * function, verified once: inlined, the iovec loop's states multiplied
 * with every path of sock_data_exit and exit_read passed the verifier's
 * million instructions (E2BIG on kernel 6.18). */
__attribute__((noinline)) int sock_emit(int slot, __u64 buf, __u64 iovcnt, __u64 n, __u64 seq)
{
	if (iovcnt & SOCK_EMIT_VEC)
		emit_iov(slot, buf, iovcnt & ~SOCK_EMIT_VEC, n, seq);
	else
		emit_buf(slot, buf, n, seq);
	return 0;
}

static __always_inline int sock_data_exit(long ret, __u8 dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sock_key k;
	struct conn_state *st;
	struct user_msghdr msg;
	__u64 seq, n, buf = 0, iovcnt = 0, nested;
	bool vec, cut;
	struct sock_args a;
	int slot;

	if (!args_take(id, &a) || ret <= 0)
		return 0;
	cut = bounded_call(a._pad);
	/* not promoted by its peer: bounded, or not copied at all */
	if (a._pad == PROMOTE_READ && !promote_first_read(id, a.fd)) {
		if (!bounded_bytes)
			return 0;
		cut = true;
	}
	k.tgid = id >> 32;
	k.fd = a.fd;
	st = bpf_map_lookup_elem(&conns, &k);
	if (!st)
		return 0;

	vec = a.call == SC_READV || a.call == SC_WRITEV ||
	      a.call == SC_RECVMSG || a.call == SC_SENDMSG;
	if (a.call == SC_RECVMSG || a.call == SC_SENDMSG) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)a.buf)) {
			stat_add(AR_STAT_DROP_READ, ret);
			__sync_fetch_and_add(&st->seq[dir], ret);
			return 0;
		}
		buf = (__u64)msg.msg_iov;
		iovcnt = msg.msg_iovlen;
	} else if (vec) {
		buf = a.buf;
		iovcnt = a.iovcnt;
	} else {
		buf = a.buf;
	}

	nested = note_nested_ssl(a.fd);
	if (nested)
		st->tls = 1;
	seq = __sync_fetch_and_add(&st->seq[dir], ret);
	if (seq == 0 && !st->tls) {
		__u64 first = buf;
		struct iovec iov;

		if (vec && !bpf_probe_read_user(&iov, sizeof(iov), (void *)buf))
			first = (__u64)iov.iov_base;
		if (ret >= 3 && looks_like_tls(first))
			st->tls = 1;
		else if (cut)
			bounded_first(st, first, ret);
	}
	if (st->tls) {
		if (dir == AR_DIR_EGRESS)
			tls_bio_link(id, a.fd, st, ret);
		else
			aead_note_read(id, a.fd, st);
		if (nested && !cut)
			tls_fd_settle(id, a.fd, st, nested);
		stat_add(AR_STAT_TLS_CIPHERTEXT, ret);
		return 0;
	}
	if (cut && st->cut == CUT_SKIP)
		return 0;
	n = bounded_len(st, cut, ret);
	slot = emit_prepare(st->conn_id, dir, AR_SRC_SOCKET,
			    (cut ? bounded_flags(a._pad) : 0) | (n < ret ? AR_F_TRUNCATED : 0),
			    a.fd, 0, 0);
	if (slot < 0) {
		stat_add(AR_STAT_DROP_SCRATCH, ret);
		return 0;
	}
	sock_emit(slot, buf, vec ? iovcnt | SOCK_EMIT_VEC : 0, n, seq);
	emit_release(slot);
	return 0;
}

/* The entry and exit halves of a data call, each in a frame of its own,
 * as they were as two programs: inlined together, their locals shared one
 * frame, and with the frames of sock_emit or bounded_reopen below it the
 * stack passed 512 bytes. */
static __attribute__((noinline)) int sock_data_enter(__s32 fd, __u64 buf, __u32 len,
						     __u32 call, const struct sock *sk)
{
	stash_sock_args(fd, buf, len, call, sk);
	return 0;
}

static __attribute__((noinline)) int sock_data_done(long ret, __u8 dir)
{
	return sock_data_exit(ret, dir);
}

/* A data call's socket tracepoint (capture.bpf.c): ret bytes moved on sk
 * in direction dir, by the syscall sock_call_of finds. */
static __always_inline int sock_data(struct sock *sk, int ret, int flags, __u8 dir)
{
	struct sock_syscall c;
	__u32 call;

	if (ret <= 0 || !sock_is_tcp(sk))
		return 0;
	/* the bytes stay queued: the read that takes them is seen then */
	if (dir == AR_DIR_INGRESS && (flags & AR_MSG_PEEK))
		return 0;
	if (!sock_call_of(&c, dir == AR_DIR_EGRESS)) {
		stat_add(AR_STAT_SOCK_UNDECODED, ret);
		return 0;
	}
	if (c.kind == SCK_BUF)
		call = dir == AR_DIR_EGRESS ? SC_WRITE : SC_READ;
	else if (c.kind == SCK_IOV)
		call = dir == AR_DIR_EGRESS ? SC_WRITEV : SC_READV;
	else
		call = dir == AR_DIR_EGRESS ? SC_SENDMSG : SC_RECVMSG;
	sock_data_enter(c.fd, c.buf, c.len, call, sk);
	return sock_data_done(ret, dir);
}

/* connect/accept exit: a fresh connection on fd. */
static __always_inline int sock_open_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sock_args a;
	__s32 fd;
	__u8 role;

	if (!args_take(id, &a))
		return 0;
	if (a.call == SC_ACCEPT && a.iovcnt == PROMOTE_READ) {
		promote_accept(id, ret);
		if (bounded_bytes && ret >= 0)
			bounded_opened(conn_get(id >> 32, ret, AR_ROLE_SERVER, true));
		return 0;
	}
	if (a._pad == BOUNDED_CALL) { /* an untargeted process's connect */
		fd = a.fd;
		if (ret == 0 || ret == -AR_EINPROGRESS)
			bounded_opened(conn_get(id >> 32, fd, AR_ROLE_CLIENT, true));
		return 0;
	}
	if (a.call == SC_CONNECT) {
		fd = a.fd;
		role = AR_ROLE_CLIENT;
		if (ret != 0 && ret != -AR_EINPROGRESS)
			fd = -1;
	} else {
		fd = ret;
		role = AR_ROLE_SERVER;
	}
	if (fd >= 0 && conn_get(id >> 32, fd, role, true) && role == AR_ROLE_CLIENT)
		promote_note_client(fd);
	return 0;
}

static __always_inline void sock_close(__s32 fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sock_key k = { .tgid = id >> 32, .fd = fd };
	struct tls_state aead;
	struct conn_state *st;

	fast_unskip(k.tgid, fd);
	if (promote_first_write && !watch_none(k.tgid))
		watch_del(&k); /* closed before its first read or write */
	if (!bounded_bytes && !is_target_fast(k.tgid))
		return;
	st = bpf_map_lookup_elem(&conns, &k);
	if (!st)
		return;
	if (st->cut)
		bpf_map_delete_elem(&verdicts, &st->conn_id);
	stat_add(AR_STAT_CONN_CLOSE, 1);
	/* A TLS socket's bytes never left the kernel as data: report no
	 * stream length, so userspace sees no gap. */
	if (st->tls && aead_sock_close(k.tgid, st->conn_id, &aead)) {
		/* as SSL_shutdown ends an SSL* stream */
		stat_add(AR_STAT_CONN_CLOSE, 1);
		emit_conn_event(AR_EV_CONN_CLOSE, AR_F_TLS, aead.conn_id, aead.fd, 0, NULL,
				aead.seq);
	}
	if (st->tls)
		emit_conn_event(AR_EV_CONN_CLOSE, AR_F_CIPHERTEXT, st->conn_id, fd,
				st->role, NULL, NULL);
	else
		emit_conn_event(AR_EV_CONN_CLOSE, 0, st->conn_id, fd, st->role, NULL,
				st->seq);
	bpf_map_delete_elem(&conns, &k);
}

#endif
