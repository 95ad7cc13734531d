/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Promotion (--promote, issue #13): a process that is not a target tells
 * userspace the head of the first write on each TCP socket it connects, so
 * that a TLS ClientHello naming an LLM host, or a plaintext LLM/MCP
 * request, makes it a target (user/discover/promote.c). Nothing else of an
 * untargeted process is copied: its connects cost a socket walk, its
 * writes one more hash lookup, which misses unless a connect is pending. */
#ifndef AR_PROMOTE_BPF_H
#define AR_PROMOTE_BPF_H

#include "maps.bpf.h"

/* Set by userspace between open and load. */
const volatile bool promote_first_write = false;

/* Sockets of untargeted processes whose first write is awaited:
 * sock_key -> 1. Written at connect (promote_connect), deleted by the
 * first write on it (promote_write); LRU, so sockets never written age
 * out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sock_key);
	__type(value, __u8);
} promote_watch SEC(".maps");

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

/* sys_enter of a socket call by an untargeted process. */
static __always_inline void promote_enter(__u64 id, __s32 fd, __u64 buf, __u64 len, __u32 call)
{
	struct sock_key k = { .tgid = id >> 32, .fd = fd };
	struct ar_first_write *ev;
	__u8 one = 1;
	__u64 p, n;

	if (!promote_first_write || k.tgid == self_tgid || fd < 0)
		return;
	if (call == SC_CONNECT) {
		if (fd_tcp_sock(fd))
			bpf_map_update_elem(&promote_watch, &k, &one, BPF_ANY);
		return;
	}
	if (call != SC_WRITE && call != SC_WRITEV && call != SC_SENDMSG)
		return;
	if (!bpf_map_lookup_elem(&promote_watch, &k))
		return;
	bpf_map_delete_elem(&promote_watch, &k);
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
