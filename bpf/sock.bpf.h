/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sockets: fd -> TCP socket, connections and plaintext data, all from the
 * socket layer's tracepoints (no syscall tracepoint: one attached puts
 * every syscall of every process on the slow path). A connection's conns
 * entry is made lazily, by its process's first data call on it, with the
 * role its birth left in sk_marks (sock_state.bpf.h); its close comes from
 * the socket's state change to closing. */
#ifndef AR_SOCK_BPF_H
#define AR_SOCK_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "emit.bpf.h"
#include "fastpath.bpf.h"
#include "fdsock.bpf.h"
#include "aead_link.bpf.h"
#include "sock_call.bpf.h"
#include "sk_mark.bpf.h"

/* A connection record of process tgid (its conns key), sent from its
 * call or, for a close, from wherever the socket closed (softirq, another
 * process's exit): tid and comm are the current task's only when it is of
 * tgid. */
static __always_inline void emit_conn_event(__u16 type, __u16 flags, __u64 conn_id,
					    __u32 tgid, __s32 fd, __u8 role, struct sock *sk,
					    const __u64 *bytes)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ar_conn_event *ev;

	/* built in the ring, not on the stack: the callers' frames are deep */
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_add(AR_STAT_DROP_RINGBUF, 1);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = type;
	ev->hdr.flags = flags;
	ev->hdr.tgid = tgid;
	ev->hdr.tid = id >> 32 == tgid ? (__u32)id : 0;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->hdr.conn_id = conn_id;
	ev->fd = fd;
	ev->role = role;
	if (sk)
		read_tuple(sk, &ev->tuple);
	if (bytes) {
		ev->bytes[0] = bytes[0];
		ev->bytes[1] = bytes[1];
	}
	if (id >> 32 == tgid)
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, rb_flags_len(sizeof(*ev)));
	stat_add(AR_STAT_EVENTS, 1);
}

/* Ends the connection of conns key (tgid, fd) when it is on the socket of
 * tag (any, when tag is 0): its close record, its verdict and its entry
 * go. Returns 1 when one ended. A global function: verified once, not
 * inlined into each caller (the data path, the close tracepoint). */
__attribute__((noinline)) int conn_end(__u32 tgid, __s32 fd, __u32 tag)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct tls_state aead;
	struct conn_state *st;

	st = bpf_map_lookup_elem(&conns, &k);
	if (!st || (tag && st->sk_tag != tag))
		return 0;
	if (st->cut)
		bpf_map_delete_elem(&verdicts, &st->conn_id);
	stat_add(AR_STAT_CONN_CLOSE, 1);
	/* A TLS socket's bytes never left the kernel as data: report no
	 * stream length, so userspace sees no gap. */
	if (st->tls && aead_sock_close(tgid, st->conn_id, &aead)) {
		/* as SSL_shutdown ends an SSL* stream */
		stat_add(AR_STAT_CONN_CLOSE, 1);
		emit_conn_event(AR_EV_CONN_CLOSE, AR_F_TLS, aead.conn_id, tgid, aead.fd, 0, NULL,
				aead.seq);
	}
	if (st->tls)
		emit_conn_event(AR_EV_CONN_CLOSE, AR_F_CIPHERTEXT, st->conn_id, tgid, fd,
				st->role, NULL, NULL);
	else
		emit_conn_event(AR_EV_CONN_CLOSE, 0, st->conn_id, tgid, fd, st->role, NULL,
				st->seq);
	fast_tls_unsettle(tgid, st->sk_tag);
	fast_unskip(tgid, st->sk_tag);
	bpf_map_delete_elem(&conns, &k);
	return 1;
}

/* The conns entry of (tgid, fd) if it stands for socket sk: sk's own, or
 * one seeded by userspace (sk_tag 0), taken as sk's now. An entry of
 * another socket (fd reused after a close this process did not make the
 * last of) ends here. NULL when none is left. */
static __always_inline struct conn_state *conn_of_sk(__u32 tgid, __s32 fd, const struct sock *sk)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state *st = bpf_map_lookup_elem(&conns, &k);
	__u32 tag = sk_tag(sk);

	if (!st || st->sk_tag == tag)
		return st;
	if (!st->sk_tag) {
		st->sk_tag = tag;
		sk_mark_put(sk, tgid, fd, tag, AR_ROLE_UNKNOWN, false);
		return st;
	}
	conn_end(tgid, fd, st->sk_tag);
	return NULL;
}

/* The connection state for (tgid, fd): existing (checked against want
 * when given, conn_of_sk), or new when fd is a TCP socket, and want (when
 * not NULL) is that socket. fresh: a new connection replaces an existing
 * entry (a reopen, whose caller sent its close), which still ends first
 * if it was another socket's. role AR_ROLE_UNKNOWN takes the one
 * sk_marks holds. NULL when fd is not a TCP socket. */
static __always_inline struct conn_state *conn_get_sk(__u32 tgid, __s32 fd, __u8 role,
						      bool fresh, const struct sock *want)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state st = {}, *cur;
	struct sk_mark *m;
	struct sock *sk;

	if (!fresh) {
		cur = want ? conn_of_sk(tgid, fd, want) : bpf_map_lookup_elem(&conns, &k);
		if (cur)
			return cur;
	}
	sk = fd_tcp_sock(fd);
	if (!sk || (want && sk != want))
		return NULL;
	st.sk_tag = sk_tag_of(sk);
	if (fresh) {
		cur = bpf_map_lookup_elem(&conns, &k);
		if (cur && cur->sk_tag && cur->sk_tag != st.sk_tag)
			conn_end(tgid, fd, cur->sk_tag);
	}
	m = sk_mark_of(sk);
	if (role == AR_ROLE_UNKNOWN && m)
		role = m->role;
	st.conn_id = new_conn_id();
	st.role = role;
	if (bpf_map_update_elem(&conns, &k, &st, BPF_ANY)) {
		stat_add(AR_STAT_DROP_CONN_MAP, 1);
		return NULL;
	}
	sk_mark_put(sk, tgid, fd, st.sk_tag, role, false);
	fast_unskip(tgid, st.sk_tag);
	stat_add(AR_STAT_CONN_OPEN, 1);
	emit_conn_event(AR_EV_CONN_OPEN, 0, st.conn_id, tgid, fd, role, sk, NULL);
	return bpf_map_lookup_elem(&conns, &k);
}

static __always_inline struct conn_state *conn_get(__u32 tgid, __s32 fd, __u8 role, bool fresh)
{
	return conn_get_sk(tgid, fd, role, fresh, NULL);
}

/* Untargeted processes' connects and first writes (needs fd_tcp_sock). */
#include "bounded.bpf.h"
#include "promote.bpf.h"

/* First data call of untargeted process id on fd, a socket opened since
 * we started (sk_marks): what its connect or accept would have done in
 * the process, done once now. A connected socket was watched for
 * promotion already, inside its connect (sock_state.bpf.h); an accepted
 * one is watched now, before this read (promote_enter decides at its
 * end); with bounded capture, either gets its conns entry. */
static __always_inline void sock_lazy_open(__u64 id, __s32 fd, const struct sock *sk)
{
	struct sock_key k = { .tgid = id >> 32, .fd = fd };
	struct sk_mark *m;

	if (conn_of_sk(k.tgid, fd, sk))
		return;
	m = sk_mark_of(sk);
	if (!m || m->opened || m->role == AR_ROLE_UNKNOWN)
		return;
	m->opened = 1;
	m->tgid = k.tgid; /* its close finds the watch and the entry */
	m->fd = fd;
	m->tag = sk_tag(sk);
	if (m->role == AR_ROLE_SERVER)
		promote_accept(&k);
	if (bounded_bytes)
		bounded_opened(conn_get_sk(k.tgid, fd, m->role, true, sk));
}

/* A data call's arguments, for sock_data_exit right after. sk, when not
 * NULL, is the socket the call moved bytes on: a connection is made for
 * fd only if fd is that socket. */
static __always_inline void stash_sock_args(__s32 fd, __u64 buf, __u32 iovcnt, __u32 call,
					    const struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tag = sk ? sk_tag(sk) : 0;
	struct sock_args a;

	if (!is_target_fast(id >> 32)) {
		/* sock_data_skip returned for SKIP_ALL and a SKIP_READS read */
		__u32 kind = sock_kind(id >> 32, tag);

		/* a skipped client's write: only a new POST needs the slow
		 * path (bounded_new_post, len = iovcnt here) */
		if (kind == SKIP_READS && call == SC_WRITE && (iovcnt < 5 || !bounded_is_post(buf)))
			return;
		if (!kind && sk && (bounded_bytes || promote_first_write))
			sock_lazy_open(id, fd, sk);
		promote_enter(id, fd, buf, iovcnt, call);
		bounded_enter(id, fd, buf, iovcnt, call);
		return;
	}
	/* only TCP sockets are worth the exit's work */
	if (!conn_get_sk(id >> 32, fd, AR_ROLE_UNKNOWN, false, sk))
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
 * target's further reads and writes on it carry nothing the programs
 * need, so let them return at once (tls_done, fastpath.bpf.h). Wrk's
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
	if (ts && ts->sock_conn_id == sock->conn_id) {
		ts->sock_tag = sock->sk_tag;
		fast_tls_settle(tk.tgid, sock->sk_tag);
	}
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

/* enum sock_call of a data syscall of kind (enum sock_call_kind) in
 * direction dir. */
static __always_inline __u32 sock_call_code(__u32 kind, __u8 dir)
{
	if (kind == SCK_BUF)
		return dir == AR_DIR_EGRESS ? SC_WRITE : SC_READ;
	if (kind == SCK_IOV)
		return dir == AR_DIR_EGRESS ? SC_WRITEV : SC_READV;
	return dir == AR_DIR_EGRESS ? SC_SENDMSG : SC_RECVMSG;
}

/* The entry and exit halves of a data call, each in a frame of its own,
 * as they were as two programs: inlined together, their locals shared one
 * frame, and with the frames of sock_emit or bounded_reopen below it the
 * stack passed 512 bytes. The entry finds the syscall (sock_call_of) and
 * returns 0 when there is none to read. */
static __attribute__((noinline)) int sock_data_enter(const struct sock *sk, int ret, __u8 dir)
{
	struct sock_syscall c;

	if (!sock_call_of(&c, dir == AR_DIR_EGRESS)) {
		stat_add(AR_STAT_SOCK_UNDECODED, ret);
		return 0;
	}
	stash_sock_args(c.fd, c.buf, c.len, sock_call_code(c.kind, dir), sk);
	return 1;
}

static __attribute__((noinline)) int sock_data_done(long ret, __u8 dir)
{
	return sock_data_exit(ret, dir);
}

/* A data call whose bytes nothing will copy, known before the call's
 * registers are read: 1 to return at once. In a frame of its own, like the
 * halves above (its locals in sock_data's frame passed the 512 bytes). */
static __attribute__((noinline)) int sock_data_skip(const struct sock *sk, int flags, __u8 dir)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	bool target = is_target_fast(tgid);

	/* Explicit targets only: an untargeted process has nothing more to
	 * look at (no promotion, no bounded capture): one compare. */
	if (!target && !bounded_bytes && !promote_first_write)
		return 1;
	if (!sock_is_tcp(sk))
		return 1;
	/* the bytes stay queued: the read that takes them is seen then */
	if (dir == AR_DIR_INGRESS && (flags & AR_MSG_PEEK))
		return 1;
	/* a target's settled TLS socket, or an untargeted process's skipped
	 * one (a SKIP_READS write may start a new POST: stash_sock_args
	 * looks) */
	if (target)
		return fast_tls_settled(tgid, sk_tag(sk));
	return bounded_bytes && fast_skipped(tgid, sk_tag(sk), dir == AR_DIR_EGRESS);
}

/* A data call's socket tracepoint (capture.bpf.c): ret bytes moved on sk
 * in direction dir, by the syscall sock_call_of finds. */
static __always_inline int sock_data(struct sock *sk, int ret, int flags, __u8 dir)
{
	if (ret <= 0 || sock_data_skip(sk, flags, dir))
		return 0;
	if (!sock_data_enter(sk, ret, dir))
		return 0;
	return sock_data_done(ret, dir);
}

/* A TCP send about to queue its bytes (tcp_sendmsg_locked: before the
 * peer can see them). An untargeted process's first write on a watched
 * connection goes to userspace from here rather than after the send, so
 * that a ClientHello naming an LLM host is judged, and its process held
 * (discover/hello_hold.h), while the handshake is still in flight: after
 * the send, node's first request often beat the hold on a 0 ms path (59
 * of 100 first calls captured, against 97 when syscall tracepoints saw
 * the write at entry). The send's sock_data finds the watch gone.
 * Agent-first only: probes.c does not load it otherwise. */
static __always_inline int sock_send_begin(const struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sock_syscall c;

	if (!promote_first_write || is_target_fast(id >> 32) || watch_none(id >> 32))
		return 0;
	if (sock_is_tcp(sk) && sock_call_of(&c, true))
		promote_enter(id, c.fd, c.buf, c.len, sock_call_code(c.kind, AR_DIR_EGRESS));
	return 0;
}

#endif
