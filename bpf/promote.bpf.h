/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Promotion (--promote, issue #13): a process that is not a target tells
 * userspace the head of the first write on each TCP socket it connects, so
 * that a TLS ClientHello naming an LLM host, or a plaintext LLM/MCP
 * request, makes it a target (user/discover/promote.c). A process that
 * accepts a connection from a target (a tool server, a sub-agent) becomes
 * one here, in the kernel, when it first reads from it, so that request is
 * already traced. Nothing else of an untargeted process is copied: its
 * connects cost a watch, its reads and writes one more hash lookup, which
 * misses unless a first read or write is pending. */
#ifndef AR_PROMOTE_BPF_H
#define AR_PROMOTE_BPF_H

#include "fastpath.bpf.h"

/* Set by userspace between open and load. */
const volatile bool promote_first_write = false;

#define WATCH_CONNECTED 1 /* first write awaited */
#define WATCH_ACCEPTED 2  /* first read awaited: is the peer a target? */
/* Marks sock_args.iovcnt of an accepted socket's read, for the exit. */
#define PROMOTE_READ 0xffffffffu

/* Sockets of untargeted processes whose first write (connected) or first
 * read (accepted) is awaited: sock_key -> WATCH_*. Written inside connect
 * (sock_state.bpf.h) and before an accepted socket's first read
 * (promote_accept), deleted by that first write or read, or the socket's
 * close; LRU, so sockets never used age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sock_key);
	__type(value, __u8);
} promote_watch SEC(".maps");

/* promote_watch entries per process, direct-mapped by tgid (processes
 * whose tgids collide share a count): 0 means none of the process's
 * sockets is watched, so its reads and writes skip the promote_watch
 * lookup (bpf/fastpath.bpf.h). Counted when watch_put creates an entry,
 * uncounted when watch_del deletes one, so the count never falls below
 * the live entries; an LRU eviction leaves it high, which only costs the
 * lookup. */
__s64 watch_pending[FAST_SLOTS] = {};

static __always_inline void watch_put(const struct sock_key *k, __u8 v)
{
	long err = bpf_map_update_elem(&promote_watch, k, &v, BPF_NOEXIST);

	if (!err)
		__sync_fetch_and_add(&watch_pending[k->tgid & (FAST_SLOTS - 1)], 1);
	else if (err == -17) /* -EEXIST: a reused fd's stale entry: already counted */
		bpf_map_update_elem(&promote_watch, k, &v, BPF_EXIST);
}

static __always_inline void watch_del(const struct sock_key *k)
{
	if (!bpf_map_delete_elem(&promote_watch, k))
		__sync_fetch_and_add(&watch_pending[k->tgid & (FAST_SLOTS - 1)], -1);
}

/* No socket of process tgid is watched (one load). */
static __always_inline bool watch_none(__u32 tgid)
{
	return *(volatile __s64 *)&watch_pending[tgid & (FAST_SLOTS - 1)] == 0;
}

/* The client end of a connection a target opened: address and port as
 * the server sees its peer (IPv4-mapped IPv6 folded to IPv4). */
struct peer_key {
	__u8 addr[16];
	__u16 port;
	__u16 family;
	__u32 _pad;
};
/* Client ends of targets' connections: peer_key -> tgid. Written by
 * conn_get when a target connects (promote_note_client); read when an
 * untargeted server first reads an accepted socket. LRU: never deleted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct peer_key);
	__type(value, __u32);
} promote_peers SEC(".maps");

static __always_inline void peer_key_of(const struct ar_tuple *t, bool local,
					struct peer_key *k)
{
	const __u8 *a = local ? t->saddr : t->daddr;
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	bool mapped = t->family == AR_AF_INET6;

	__builtin_memset(k, 0, sizeof(*k));
	k->port = local ? t->sport : t->dport;
	for (int i = 0; i < 12 && mapped; i++)
		if (a[i] != v4mapped[i])
			mapped = false;
	if (t->family == AR_AF_INET || mapped) {
		k->family = AR_AF_INET;
		__builtin_memcpy(k->addr, a + (mapped ? 12 : 0), 4);
	} else {
		k->family = t->family;
		__builtin_memcpy(k->addr, a, 16);
	}
}

/* A target's connection on sk is established (sock_state.bpf.h):
 * remember its client end. */
static __always_inline void promote_note_client(const struct sock *sk, __u32 tgid)
{
	struct ar_tuple t = {};
	struct peer_key k;

	if (!promote_first_write)
		return;
	read_tuple((struct sock *)sk, &t);
	peer_key_of(&t, true, &k);
	bpf_map_update_elem(&promote_peers, &k, &tgid, BPF_ANY);
}

/* An untargeted process's accepted socket, before its first read
 * (sock_lazy_open): await that read. */
static __always_inline void promote_accept(const struct sock_key *k)
{
	if (promote_first_write)
		watch_put(k, WATCH_ACCEPTED);
}

/* First read of an accepted socket by an untargeted process returned
 * data: when the peer is a target's client end, the process becomes a
 * target (userspace learns it from the connection record conn_get sends)
 * and 1 is returned, so the caller traces this read; else 0. */
/* A global function: verified once rather than inlined into every read
 * exit program, which made exit_read too large to verify (E2BIG). */
__attribute__((noinline)) int promote_first_read(__u64 id, __s32 fd)
{
	struct sock_key sk_key = { .tgid = id >> 32, .fd = fd };
	struct ar_tuple t = {};
	struct peer_key k;
	struct sock *sk;
	__u8 promoted = 3; /* TARGET_PROMOTED (proc.bpf.h): stays until exit */

	watch_del(&sk_key);
	sk = fd_tcp_sock(fd);
	if (!sk)
		return 0;
	read_tuple(sk, &t);
	peer_key_of(&t, false, &k);
	if (!bpf_map_lookup_elem(&promote_peers, &k))
		return 0;
	targets_put(sk_key.tgid, promoted, BPF_NOEXIST);
	/* with bounded capture, accept already made the connection */
	return conn_get(sk_key.tgid, fd, AR_ROLE_SERVER, !bounded_bytes) != NULL;
}

/* Gives the first buffer of a write/sendto (buf, len), writev (iovec
 * array, count) or sendmsg (user_msghdr) call, or false. */
static __always_inline bool first_buffer(__u32 call, __u64 buf, __u64 len, __u64 *p, __u64 *n)
{
	struct user_msghdr msg;
	struct iovec iov;

	if (call == SC_WRITE) {
		*p = buf;
		*n = len;
		return true;
	}
	if (call == SC_SENDMSG) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)buf) || !msg.msg_iovlen)
			return false;
		buf = (__u64)msg.msg_iov;
	} else if (call != SC_WRITEV || !len) {
		return false;
	}
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)buf))
		return false;
	*p = (__u64)iov.iov_base;
	*n = iov.iov_len;
	return true;
}

/* A data call by an untargeted process, before its bytes are taken. */
static __always_inline void promote_enter(__u64 id, __s32 fd, __u64 buf, __u64 len, __u32 call)
{
	struct sock_key k = { .tgid = id >> 32, .fd = fd };
	struct ar_first_write *ev;
	__u8 *w;
	__u64 p, n;

	if (!promote_first_write || k.tgid == self_tgid || fd < 0)
		return;
	if (watch_none(k.tgid))
		return;
	w = bpf_map_lookup_elem(&promote_watch, &k);
	if (!w)
		return;
	if (*w == WATCH_ACCEPTED) {
		/* Decided at the exit, once the peer has written (and so has
		 * returned from its connect and been noted). */
		if (call == SC_READ || call == SC_READV || call == SC_RECVMSG) {
			struct sock_args a = { .buf = buf, .fd = fd, .call = call,
					       .iovcnt = (__u32)len };

			a._pad = PROMOTE_READ;
			args_stash(id, &a);
		}
		return;
	}
	if (call != SC_WRITE && call != SC_WRITEV && call != SC_SENDMSG)
		return;
	watch_del(&k);
	if (!first_buffer(call, buf, len, &p, &n) || !n)
		return;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_add(AR_STAT_DROP_RINGBUF, 1);
		return;
	}
	ev->hdr.type = AR_EV_FIRST_WRITE;
	ev->hdr.flags = 0;
	ev->hdr.tgid = k.tgid;
	ev->hdr.tid = (__u32)id;
	ev->hdr._pad = 0;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->hdr.conn_id = 0;
	ev->fd = fd;
	ev->call_len = n;
	ev->len = n > AR_FIRST_WRITE_MAX ? AR_FIRST_WRITE_MAX : n;
	if (bpf_probe_read_user(ev->data, ev->len & (AR_FIRST_WRITE_MAX * 2 - 1), (void *)p)) {
		stat_add(AR_STAT_DROP_READ, n);
		bpf_ringbuf_discard(ev, 0);
		return;
	}
	/* Promotion races the process's first TLS call: wake the reader. */
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	stat_add(AR_STAT_EVENTS, 1);
}

#endif
