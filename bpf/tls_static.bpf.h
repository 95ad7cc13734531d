/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Probes for TLS libraries found without symbols (discover/tls_ossl_static.c).
 * OpenSSL >= 3.3's ssl_write_internal takes a flags argument before the
 * written pointer; everything else reuses the SSL_*_ex programs in
 * tls.bpf.h, whose shape the internal functions share. */
#ifndef AR_TLS_STATIC_BPF_H
#define AR_TLS_STATIC_BPF_H

#include "tls.bpf.h"

SEC("uprobe")
int BPF_KPROBE(ssl_write_internal_enter, void *ssl, const void *buf, size_t num, __u64 flags,
	       size_t *written)
{
	return ssl_enter(AR_DIR_EGRESS, (__u64)ssl, (__u64)buf, num, (__u64)written);
}

#endif
