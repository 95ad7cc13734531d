// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A program on a tracepoint no kernel has, beside one every kernel
 * agentrace runs on has: tp_check__kernel (user/capture/tp_check.c) must
 * name the first and refuse. Opened by the unit tests, never loaded. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/agentrace_no_such_tracepoint")
int BPF_PROG(missing)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(present, struct task_struct *parent, struct task_struct *child)
{
	return 0;
}
