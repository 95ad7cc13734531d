// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* agentrace capture programs: socket syscall tracepoints, OpenSSL and Go
 * crypto/tls uprobes and process lifecycle, sharing the maps in maps.bpf.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
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

/* read/write/recvfrom/sendto: (fd, buf, len, ...) */
#define DATA_PROBES(name, call, dir)                                         \
	SEC("tracepoint/syscalls/sys_enter_" #name)                          \
	int enter_##name(struct trace_event_raw_sys_enter *ctx)              \
	{                                                                    \
		stash_sock_args((__s32)ARG(0), ARG(1), ARG(2), call);        \
		return 0;                                                    \
	}                                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                           \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                \
	{                                                                    \
		return sock_data_exit(ctx->ret, dir);                        \
	}

DATA_PROBES(read, SC_READ, AR_DIR_INGRESS)
DATA_PROBES(write, SC_WRITE, AR_DIR_EGRESS)
DATA_PROBES(recvfrom, SC_READ, AR_DIR_INGRESS)
DATA_PROBES(sendto, SC_WRITE, AR_DIR_EGRESS)
DATA_PROBES(readv, SC_READV, AR_DIR_INGRESS)   /* ARG(2) is iovcnt */
DATA_PROBES(writev, SC_WRITEV, AR_DIR_EGRESS)
DATA_PROBES(recvmsg, SC_RECVMSG, AR_DIR_INGRESS)
DATA_PROBES(sendmsg, SC_SENDMSG, AR_DIR_EGRESS)

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	stash_sock_args((__s32)ARG(0), 0, 0, SC_CONNECT);
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
	stash_sock_args((__s32)ARG(0), 0, 0, SC_ACCEPT);
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
	stash_sock_args((__s32)ARG(0), 0, 0, SC_ACCEPT);
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
