// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* agentrace capture programs: socket data and lifecycle tracepoints, OpenSSL and Go
 * crypto/tls uprobes and process lifecycle, sharing the maps in maps.bpf.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "sock.bpf.h"
#include "tls.bpf.h"
#include "go_tls.bpf.h"
#include "tls_static.bpf.h"
#include "tls_aead.bpf.h"
#include "proc.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ARG(n) ((__u64)ctx->args[n])

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

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	stash_sock_args((__s32)ARG(0), 0, 0, SC_CONNECT, NULL);
	if (exec_hold_on && is_target_fast(bpf_get_current_pid_tgid() >> 32))
		exec_hold_connect(bpf_get_current_pid_tgid() >> 32, (const void *)ARG(1));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return sock_open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_accept")
int enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	stash_sock_args((__s32)ARG(0), 0, 0, SC_ACCEPT, NULL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return sock_open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	stash_sock_args((__s32)ARG(0), 0, 0, SC_ACCEPT, NULL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return sock_open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	sock_close((__s32)ARG(0));
	return 0;
}
