// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* agentrace capture programs: socket data and lifecycle tracepoints, OpenSSL and Go
 * crypto/tls uprobes and process lifecycle, sharing the maps in maps.bpf.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "sock.bpf.h"
#include "sock_state.bpf.h"
#include "tls.bpf.h"
#include "go_tls.bpf.h"
#include "tls_static.bpf.h"
#include "tls_aead.bpf.h"
#include "proc.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Data calls: read, write, recv*, send*, readv, writev, recvmsg and
 * sendmsg on a socket, seen inside the kernel's socket layer instead of
 * at 16 syscall tracepoints (sock_call.bpf.h says why). */
SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send, struct sock *sk, int ret, int flags)
{
	return sock_data(sk, ret, flags, AR_DIR_EGRESS);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	return sock_data(sk, ret, flags, AR_DIR_INGRESS);
}

/* An untargeted process's first write, before it leaves (agent-first). */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(sock_send_begin_tp, const struct sock *sk, const struct msghdr *msg,
	     const struct sk_buff *skb, int size_goal)
{
	return sock_send_begin(sk);
}

/* Connects, accepted sockets and closes (sock_state.bpf.h). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state_change, const struct sock *sk, const int oldstate, const int newstate)
{
	return sock_state(sk, oldstate, newstate);
}
