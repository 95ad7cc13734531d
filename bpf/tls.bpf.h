/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* OpenSSL uprobes: plaintext at SSL_read/SSL_write(_ex) return, keyed by
 * (tgid, SSL*). A socket syscall nesting inside the call on the same
 * thread links the SSL* to its socket (sock.bpf.h fills ssl_args.fd). */
#ifndef AR_TLS_BPF_H
#define AR_TLS_BPF_H

#include <bpf/bpf_tracing.h>
#include "sock.bpf.h"

/* dir: AR_DIR_EGRESS for the writes, AR_DIR_INGRESS for the reads. */
static __always_inline int ssl_enter(__u8 dir, __u64 ssl, __u64 buf, __u64 num, __u64 len_ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_calls *c;

	if (!is_target_fast(id >> 32))
		return 0;
	c = ssl_calls_get(BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		stat_add(AR_STAT_DROP_ARGS_MAP, 1);
		return 0;
	}
	c->dir[dir & 1] = (struct ssl_args){ .ssl = ssl, .buf = buf, .num = num,
					     .len_ptr = len_ptr, .fd = -1, .live = 1 };
	return 0;
}

/* Makes the stream of (tgid, ssl). */
static __always_inline struct tls_state *tls_make(__u32 tgid, __u64 ssl)
{
	struct tls_key k = { .tgid = tgid, .ssl = ssl };
	struct tls_state st = { .fd = -1 };

	st.conn_id = new_conn_id();
	if (bpf_map_update_elem(&tls_conns, &k, &st, BPF_ANY)) {
		stat_add(AR_STAT_DROP_CONN_MAP, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&tls_conns, &k);
}

static __always_inline struct tls_state *tls_get(__u32 tgid, __u64 ssl)
{
	struct tls_key k = { .tgid = tgid, .ssl = ssl };
	struct tls_state *cur = bpf_map_lookup_elem(&tls_conns, &k);

	return cur ? cur : tls_make(tgid, ssl);
}

/* Links the TLS stream st to its socket fd, once, when conns knows that
 * socket in this process. */
static __always_inline void tls_link_sock(struct tls_state *st, __u32 tgid, __s32 fd)
{
	struct sock_key sk = { .tgid = tgid, .fd = fd };
	struct conn_state *cs;

	if (fd < 0 || st->sock_conn_id)
		return;
	cs = bpf_map_lookup_elem(&conns, &sk);
	if (cs) {
		st->sock_conn_id = cs->conn_id;
		st->fd = fd;
		stat_add(AR_STAT_TLS_NESTED_LINK, 1);
	}
}

/* Emits n plaintext bytes at buf of the TLS stream st (keyed by the
 * library's connection object tls, an SSL* or a Go *tls.Conn). */
static __always_inline void emit_tls_plain(struct tls_state *st, __u8 dir, __u64 tls, __u64 buf,
					   __u64 n)
{
	__u64 seq = __sync_fetch_and_add(&st->seq[dir], n);
	int slot;

	if (emit_direct(st->conn_id, dir, AR_SRC_TLS, AR_F_TLS, st->fd, tls, st->sock_conn_id,
			buf, n, seq))
		return;
	slot = emit_prepare(st->conn_id, dir, AR_SRC_TLS, AR_F_TLS, st->fd, tls,
			    st->sock_conn_id);
	if (slot < 0) {
		stat_add(AR_STAT_DROP_SCRATCH, n);
		return;
	}
	emit_buf(slot, buf, n, seq);
	emit_release(slot);
}

/* A call whose result contradicts its arguments: reported (struct
 * ar_tls_odd), nothing emitted and no stream made. Only targets' calls
 * reach here (ssl_enter). */
static __always_inline int ssl_odd(const struct ssl_args *a, __u8 dir, __u8 why, long rc,
				   __u64 done)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ar_tls_odd ev = {};

	ev.hdr.type = AR_EV_TLS_ODD;
	ev.hdr.flags = AR_F_TLS;
	ev.hdr.tgid = id >> 32;
	ev.hdr.tid = (__u32)id;
	ev.hdr.ts_ns = bpf_ktime_get_ns();
	ev.ssl_ptr = a->ssl;
	ev.len_arg = a->num;
	ev.ret = rc;
	ev.done = done;
	ev.dir = dir;
	ev.why = why;
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), rb_flags_len(sizeof(ev))))
		stat_add(AR_STAT_DROP_RINGBUF, 1);
	else
		stat_add(AR_STAT_EVENTS, 1);
	return 0;
}

static __always_inline int ssl_exit(__u8 dir, long rc)
{
	__u64 id = bpf_get_current_pid_tgid();
	/* NULL for a thread that never entered a target's call (uprobes
	 * may fire in every process): nothing to count. A refusal under
	 * recursion leaves the slot live until the thread's next call in
	 * this direction rewrites it, as a failed LRU delete did before. */
	struct ssl_calls *c = ssl_calls_get(0);
	struct tls_state *st;
	struct tls_key k = {};
	struct ssl_args a;
	__u64 n = 0;
	__u8 b;

	if (!c || !c->dir[dir & 1].live)
		return 0;
	a = c->dir[dir & 1];
	c->dir[dir & 1].live = 0; /* taken: a is the copy from here on */
	if (a.len_ptr) {
		/* SSL_*_ex: 1 on success, byte count through the pointer. */
		if (rc > 1 || (rc == 1 && bpf_probe_read_user(&n, sizeof(n), (void *)a.len_ptr)))
			return ssl_odd(&a, dir, AR_ODD_RETURN, rc, ~0ull);
		if (rc != 1)
			return 0;
	} else {
		if (rc <= 0)
			return 0;
		n = rc;
	}
	/* A right SSL_read/SSL_write never reports more than its length
	 * argument, a successful write moved something, and the buffer is
	 * the caller's memory: anything else is a probe on a wrong function
	 * (or the wrong registers), for the first-calls judge. */
	if (n > a.num || (!n && a.num && dir == AR_DIR_EGRESS))
		return ssl_odd(&a, dir, AR_ODD_RETURN, rc, n);
	if (n == 0)
		return 0;
	k.tgid = id >> 32;
	k.ssl = a.ssl;
	st = bpf_map_lookup_elem(&tls_conns, &k);
	/* Readable buffers are checked until the stream carried bytes: that
	 * is what the first-calls judge weighs, and a probe read (with its
	 * usercopy checks) was a third of a call's copying cost. Later, an
	 * unreadable buffer is the data copy's failure, counted there. */
	if (!st || !(st->seq[0] | st->seq[1])) {
		if (bpf_probe_read_user(&b, sizeof(b), (void *)a.buf))
			return ssl_odd(&a, dir, AR_ODD_UNREADABLE, rc, n);
		if (!st)
			st = tls_make(k.tgid, a.ssl);
		if (!st)
			return 0;
	}
	tls_link_sock(st, id >> 32, a.fd);
	if (dir == AR_DIR_EGRESS && !st->sock_conn_id) {
		/* node may write headers and body with two SSL_writes and
		 * flush both records with one socket write: add them up */
		struct bio_pending p = { .ssl = a.ssl, .ts = bpf_ktime_get_ns(), .len = n,
					 .calls = 1 };
		struct bio_pending *prev = bpf_map_lookup_elem(&tls_bio_pending, &id);

		if (prev && prev->ssl == a.ssl && p.ts - prev->ts < 10000000ull) {
			p.len += prev->len;
			p.calls += prev->calls;
		}
		bpf_map_update_elem(&tls_bio_pending, &id, &p, BPF_ANY);
	}
	emit_tls_plain(st, dir, a.ssl, a.buf, n);
	return 0;
}

/* SSL_shutdown/SSL_free: the plaintext stream ends. */
static __always_inline int ssl_end(__u64 ssl)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_key k = { .tgid = id >> 32, .ssl = ssl };
	struct tls_state *st;
	struct ar_conn_event ev = {};

	if (!is_target_fast(k.tgid))
		return 0;
	st = bpf_map_lookup_elem(&tls_conns, &k);
	if (!st)
		return 0;
	ev.hdr.type = AR_EV_CONN_CLOSE;
	ev.hdr.flags = AR_F_TLS;
	ev.hdr.tgid = k.tgid;
	ev.hdr.tid = (__u32)id;
	ev.hdr.ts_ns = bpf_ktime_get_ns();
	ev.hdr.conn_id = st->conn_id;
	ev.fd = st->fd;
	ev.bytes[0] = st->seq[0];
	ev.bytes[1] = st->seq[1];
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	if (st->sock_tag)
		fast_tls_unsettle(k.tgid, st->sock_tag); /* a next SSL* on it must be linked */
	bpf_map_delete_elem(&tls_conns, &k);
	stat_add(AR_STAT_CONN_CLOSE, 1);
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), rb_flags_len(sizeof(ev))))
		stat_add(AR_STAT_DROP_RINGBUF, 1);
	else
		stat_add(AR_STAT_EVENTS, 1);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, const void *buf, int num)
{
	return ssl_enter(AR_DIR_EGRESS, (__u64)ssl, (__u64)buf, num, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_write_exit, int rc)
{
	return ssl_exit(AR_DIR_EGRESS, rc);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, const void *buf, size_t num, size_t *written)
{
	return ssl_enter(AR_DIR_EGRESS, (__u64)ssl, (__u64)buf, num, (__u64)written);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_write_ex_exit, int rc)
{
	return ssl_exit(AR_DIR_EGRESS, rc);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf, int num)
{
	return ssl_enter(AR_DIR_INGRESS, (__u64)ssl, (__u64)buf, num, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_exit, int rc)
{
	return ssl_exit(AR_DIR_INGRESS, rc);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, size_t num, size_t *readbytes)
{
	return ssl_enter(AR_DIR_INGRESS, (__u64)ssl, (__u64)buf, num, (__u64)readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_ex_exit, int rc)
{
	return ssl_exit(AR_DIR_INGRESS, rc);
}

SEC("uprobe")
int BPF_KPROBE(ssl_shutdown_enter, void *ssl)
{
	return ssl_end((__u64)ssl);
}

SEC("uprobe")
int BPF_KPROBE(ssl_free_enter, void *ssl)
{
	return ssl_end((__u64)ssl);
}

#endif
