/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which TLS socket each thread read last, for rustls's record probes
 * (tls_aead.bpf.h): rustls derives a connection's keys while processing
 * the handshake flight the same thread has just read from its socket, so
 * an EVP_AEAD_CTX made then belongs to that socket. */
#ifndef AR_AEAD_LINK_BPF_H
#define AR_AEAD_LINK_BPF_H

#include "maps.bpf.h"

/* Set by userspace (capture/probes.c) once a plan with AEAD probes is
 * attached: until then no TLS read is noted. */
__u32 aead_on = 0;

struct aead_sock {
	__u64 sock_conn_id; /* conns' conn_id of the socket */
	__u64 ts;           /* bpf_ktime_get_ns of the read */
	__s32 fd;
	__u32 _pad;
};
/* The latest TLS ciphertext read of a thread: pid_tgid -> aead_sock.
 * Written by sock_data_exit (sock.bpf.h) while aead_on; read by the
 * EVP_AEAD_CTX_init probe. LRU: threads that exit just age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct aead_sock);
} aead_last_read SEC(".maps");

/* A record stream's key in tls_conns: never a user pointer (bit 63). */
#define AEAD_STREAM(sock_conn_id) ((sock_conn_id) | (1ull << 63))

/* A TLS socket of tgid closes: the record stream tied to it (whose own
 * close, inside rustls, is inlined and has no probe) ends with it. Takes
 * the stream's state out of tls_conns into *out; false when the socket
 * carried none. */
static __always_inline bool aead_sock_close(__u32 tgid, __u64 sock_conn_id,
					    struct tls_state *out)
{
	struct tls_key k = { .tgid = tgid, .ssl = AEAD_STREAM(sock_conn_id) };
	struct tls_state *st;

	if (!aead_on)
		return false;
	st = bpf_map_lookup_elem(&tls_conns, &k);
	if (!st)
		return false;
	*out = *st;
	bpf_map_delete_elem(&tls_conns, &k);
	return true;
}

static __always_inline void aead_note_read(__u64 id, __s32 fd, const struct conn_state *st)
{
	struct aead_sock r = { .sock_conn_id = st->conn_id, .fd = fd };

	if (!aead_on)
		return;
	r.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&aead_last_read, &id, &r, BPF_ANY);
}

#endif
