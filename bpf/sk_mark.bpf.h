/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the socket layer's tracepoints learn of a TCP socket outside its
 * owner's calls (issue #13): how it was opened (SYN_SENT inside a
 * connect(), SYN_RECV as a listener's child, in softirq), and which conns
 * key (tgid, fd) stands for it, so that its close, which may come in
 * softirq or at its process's exit, finds that key (sock_state.bpf.h). */
#ifndef AR_SK_MARK_BPF_H
#define AR_SK_MARK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <agentrace/events.h> /* enum ar_role */

struct sk_mark {
	__u32 tgid;  /* conns key of the socket, 0 while none */
	__s32 fd;
	__u32 tag;   /* its sk_tag when that key was noted (the port is gone
		      * by TCP_CLOSE) */
	__u8 role;   /* enum ar_role: how it was opened; UNKNOWN before we ran */
	__u8 opened; /* an untargeted process's accept work was done */
	__u8 ended;  /* SK_ENDED_*: its close was handled, by which object */
	__u8 _pad;
};

#define SK_ENDED_CAPTURE 1 /* sock_state.bpf.h */
#define SK_ENDED_SERVE 2   /* inject.bpf.c */

/* tcp_set_state values, and the shutdown bits tcp_close sets first. */
#define AR_TCP_ESTABLISHED 1
#define AR_TCP_SYN_SENT 2
#define AR_TCP_SYN_RECV 3
#define AR_TCP_FIN_WAIT1 4
#define AR_TCP_CLOSE 7
#define AR_TCP_LAST_ACK 9
#define AR_SHUTDOWN_MASK 3

/* newstate, of a change of sk, is its last close (tcp_close: both
 * shutdown bits, then FIN_WAIT1 or LAST_ACK; a shutdown(SHUT_WR) sets one)
 * or its end (CLOSE: reset, failed connect, or after the close). */
static __always_inline bool sk_closing(const struct sock *sk, int newstate)
{
	if (newstate == AR_TCP_CLOSE)
		return true;
	return (newstate == AR_TCP_FIN_WAIT1 || newstate == AR_TCP_LAST_ACK) &&
	       sk->sk_shutdown == AR_SHUTDOWN_MASK;
}

/* TCP sockets: struct sock address -> sk_mark. Writers: sock_state
 * (born by SYN_SENT or SYN_RECV: replaces whatever a freed socket at the
 * same address left; deleted at TCP_CLOSE), conn_get (the conns key).
 * Keyed by address, not socket local storage: conn_get reaches its socket
 * through the fd table (fd_tcp_sock), a pointer the sk_storage helpers
 * refuse. LRU: a socket whose TCP_CLOSE was missed ages out. Shared with
 * the injection object (user/inject/inject.c reuses its fd). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sk_mark);
} sk_marks SEC(".maps");

/* A socket's identity in conns (conn_state.sk_tag) and the fd cache,
 * from three loads and no helper: the established socket's hash and
 * ports, so that a fd reused for another connection does not match.
 * Never 0, which stands for "not known yet". sk is the tracepoint's
 * (trusted) socket; sk_tag_of reads the same from an fd's. */
static __always_inline __u32 sk_tag(const struct sock *sk)
{
	return (sk->__sk_common.skc_hash ^ sk->__sk_common.skc_portpair) | 1;
}

static __always_inline __u32 sk_tag_of(struct sock *sk)
{
	return (BPF_CORE_READ(sk, __sk_common.skc_hash) ^
		BPF_CORE_READ(sk, __sk_common.skc_portpair)) | 1;
}

/* sk's address, sk_marks' key. A scalar read of the pointer: the verifier
 * allows no arithmetic or store of a trusted socket pointer as a key. */
static __always_inline __u64 sk_addr(const void *sk)
{
	__u64 a = 0;

	bpf_probe_read_kernel(&a, sizeof(a), &sk);
	return a;
}

static __always_inline struct sk_mark *sk_mark_of(const void *sk)
{
	__u64 key = sk_addr(sk);

	return bpf_map_lookup_elem(&sk_marks, &key);
}

/* Notes how sk was opened (role) or who holds it (tgid, fd and its tag,
 * when tgid is not 0), keeping what is known already. born: a new
 * socket, whose address may carry a freed one's mark. */
static __always_inline void sk_mark_put(const void *sk, __u32 tgid, __s32 fd, __u32 tag,
					__u8 role, bool born)
{
	__u64 key = sk_addr(sk);
	struct sk_mark m = { .tgid = tgid, .fd = fd, .tag = tag, .role = role }, *cur;

	cur = born ? NULL : bpf_map_lookup_elem(&sk_marks, &key);
	if (!cur) {
		bpf_map_update_elem(&sk_marks, &key, &m, BPF_ANY);
		return;
	}
	if (tgid) {
		cur->tgid = tgid;
		cur->fd = fd;
		cur->tag = tag;
	}
	if (role != AR_ROLE_UNKNOWN)
		cur->role = role;
}

#endif
