/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TLS 1.3 records as an AEAD sees them (RFC 8446 5.2), for the probes on
 * aws-lc's EVP_AEAD_CTX_seal/open under rustls (bpf/tls_aead.bpf.h) and
 * their unit tests: the associated data is the record's 5-byte header
 * (opaque type application_data 0x17, legacy version 0x0303, length), and
 * the plaintext is TLSInnerPlaintext = content || real type || zeros.
 * Handshake messages after the handshake (NewSessionTicket, KeyUpdate)
 * and alerts are sealed the same way; only type 23 carries the stream.
 *
 * WARNING: shared by the kernel and userspace; pure, no allocation.
 */
#ifndef AGENTRACE_TLS_RECORD_H
#define AGENTRACE_TLS_RECORD_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define AR_TLS_CT_ALERT 21
#define AR_TLS_CT_HANDSHAKE 22
#define AR_TLS_CT_APPDATA 23
#define AR_TLS13_AAD_LEN 5
/* Bytes of a record's end searched for its inner type: padding longer
 * than this (rustls and OpenSSL send none) costs the record, as a gap. */
#define AR_TLS_TAIL 32

/* Whether ad[ad_len] is the header of a TLS 1.3 protected record. */
static inline int ar_tls13_aad(const __u8 *ad, __u64 ad_len)
{
	return ad_len == AR_TLS13_AAD_LEN && ad[0] == AR_TLS_CT_APPDATA && ad[1] == 3 &&
	       ad[2] == 3;
}

/* tail holds the last n (<= AR_TLS_TAIL) bytes of a TLSInnerPlaintext of
 * rec_len bytes. Returns the length of its content and stores its real
 * type in *type; -1 when tail holds no non-zero byte (all padding, or an
 * empty record). */
static inline long ar_tls13_inner(const __u8 *tail, __u32 n, __u64 rec_len, __u8 *type)
{
	for (int i = AR_TLS_TAIL - 1; i >= 0; i--) {
		if ((__u32)i >= n || !tail[i])
			continue;
		*type = tail[i];
		return (long)(rec_len - n + i);
	}
	return -1;
}

#endif /* AGENTRACE_TLS_RECORD_H */
