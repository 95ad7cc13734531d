// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drives conn_end (bpf/sock.bpf.h) on a TLS socket that a rustls record
 * stream is tied to (bpf/aead_link.bpf.h), in the kernel, as the calling
 * task: the stream's state leaves tls_conns and its close is emitted
 * before the socket's, keyed by the stream's conn_id; a TLS socket
 * without a stream emits only its own close; a plaintext socket never
 * ends a stream. Userspace runs it with BPF_PROG_TEST_RUN, reads step (0
 * when every check passed, else the first that failed) and the closes
 * from the ring buffer. */
#include "sock.bpf.h"

int step = -1;

#define STREAM_CONN 0x5151
#define SOCK_CONN 0x77

static __always_inline int check(__u32 tgid)
{
	struct conn_state tls_sock = { .conn_id = SOCK_CONN, .tls = 1 };
	struct conn_state plain = { .conn_id = SOCK_CONN + 1 };
	struct tls_state stream = { .conn_id = STREAM_CONN, .seq = { 10, 20 }, .fd = 7 };
	struct tls_key sk = { .tgid = tgid, .ssl = AEAD_STREAM(SOCK_CONN) };
	struct tls_key pk = { .tgid = tgid, .ssl = AEAD_STREAM(SOCK_CONN + 1) };
	struct sock_key k7 = { .tgid = tgid, .fd = 7 }, k8 = { .tgid = tgid, .fd = 8 };

	aead_on = 1;
	if (bpf_map_update_elem(&conns, &k7, &tls_sock, BPF_ANY) ||
	    bpf_map_update_elem(&tls_conns, &sk, &stream, BPF_ANY))
		return 1;
	conn_end(tgid, 7, 0);
	if (bpf_map_lookup_elem(&tls_conns, &sk))
		return 2; /* the stream outlived its socket */
	if (bpf_map_lookup_elem(&conns, &k7))
		return 3;
	/* the same socket again, now without a stream: its close only */
	bpf_map_update_elem(&conns, &k7, &tls_sock, BPF_ANY);
	conn_end(tgid, 7, 0);
	/* a plaintext socket: a stream keyed by its conn_id stays */
	if (bpf_map_update_elem(&conns, &k8, &plain, BPF_ANY) ||
	    bpf_map_update_elem(&tls_conns, &pk, &stream, BPF_ANY))
		return 4;
	conn_end(tgid, 8, 0);
	if (!bpf_map_lookup_elem(&tls_conns, &pk))
		return 5;
	bpf_map_delete_elem(&tls_conns, &pk);
	return 0;
}

SEC("raw_tp")
int aead_close(void *ctx)
{
	step = check(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
