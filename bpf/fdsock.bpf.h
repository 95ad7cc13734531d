/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* fd -> TCP socket and its 4-tuple, for the socket programs of both
 * objects (sock.bpf.h in capture, serve.bpf.h in injection). */
#ifndef AR_FDSOCK_BPF_H
#define AR_FDSOCK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <agentrace/events.h>

#define AR_AF_INET 2
#define AR_AF_INET6 10
#define AR_SOCK_STREAM 1
#define AR_IPPROTO_TCP 6
#define AR_S_IFMT 00170000
#define AR_S_IFSOCK 0140000

/* The struct sock behind fd if it is a TCP/IPv4 or TCP/IPv6 socket. */
static __always_inline struct sock *fd_tcp_sock(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f;
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & AR_S_IFMT) != AR_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return NULL;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AR_AF_INET && family != AR_AF_INET6)
		return NULL;
	if (BPF_CORE_READ(sk, sk_type) != AR_SOCK_STREAM ||
	    BPF_CORE_READ(sk, sk_protocol) != AR_IPPROTO_TCP)
		return NULL;
	return sk;
}

static __always_inline void read_tuple(struct sock *sk, struct ar_tuple *t)
{
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == AR_AF_INET) {
		__u32 src = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 dst = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(t->saddr, &src, sizeof(src));
		__builtin_memcpy(t->daddr, &dst, sizeof(dst));
	} else {
		struct in6_addr src = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr dst = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);

		__builtin_memcpy(t->saddr, &src, sizeof(src));
		__builtin_memcpy(t->daddr, &dst, sizeof(dst));
	}
}

#endif
