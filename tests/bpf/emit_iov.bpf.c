// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drives the real writev/readv emit (bpf/emit.bpf.h, emit_iov) over an
 * iovec array in the calling task's memory: userspace sets the globals,
 * runs the program with BPF_PROG_TEST_RUN on its own CPU (so "user
 * memory" is the test's) and reads the records it left in the ring. */
#include "emit.bpf.h"

__u64 iov_ptr = 0; /* struct iovec[iovcnt] in the test process */
__u64 iovcnt = 0;
__u64 total = 0;   /* the syscall's return value: bytes to emit */
__u64 seq = 0;     /* stream offset of the first byte */
int slot = -2;     /* what emit_prepare returned */

SEC("raw_tp")
int emit_iov_run(void *ctx)
{
	slot = emit_prepare(7, AR_DIR_EGRESS, AR_SRC_SOCKET, 0, 3, 0, 0);
	if (slot < 0)
		return 0;
	emit_iov(slot, iov_ptr, iovcnt, total, seq);
	emit_release(slot);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
