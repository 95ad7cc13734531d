/* SPDX-License-Identifier: MIT */
/* Whether this kernel has the tracepoints an object's BTF programs need,
 * said by name before a load fails with a bare verifier error. */
#ifndef AGENTRACE_CAPTURE_TP_CHECK_H
#define AGENTRACE_CAPTURE_TP_CHECK_H

#include <bpf/libbpf.h>

/* Warns about every "tp_btf/NAME" program of obj to be loaded whose tracepoint the
 * running kernel lacks (sock_send_length and sock_recv_length came in
 * Linux 6.3). Returns 0, or -ENOTSUP when one is missing, or -errno when
 * the kernel's BTF cannot be read. */
int tp_check__kernel(struct bpf_object *obj);

#endif
