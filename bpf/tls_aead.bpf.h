/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rustls over aws-lc (discover/tls_awslc.c): one probe per TLS record.
 * rustls is inlined into the application, but every record it writes goes
 * through EVP_AEAD_CTX_seal and every record it reads through
 * EVP_AEAD_CTX_open, both (ctx, out, *out_len, max_out_len, nonce,
 * nonce_len, in, in_len, ad, ad_len): the plaintext is in `in` at seal's
 * entry and in `out` at open's return (in place; C code, so uretprobes
 * are safe). Arguments 7-10 are on the stack at entry: rsp+8 ... rsp+32.
 *
 * Stream identity: an EVP_AEAD_CTX is one direction of one connection.
 * EVP_AEAD_CTX_init ties it to the socket its thread last read (rustls
 * keys a connection while processing the flight it just read), so both
 * directions' contexts share one stream, keyed (tgid, AEAD_STREAM(socket's
 * conn_id)) in tls_conns, with the socket's tuple and fd. Each record's
 * inner type and padding are stripped (agentrace/tls_record.h); only
 * application data reaches the stream.
 */
#ifndef AR_TLS_AEAD_BPF_H
#define AR_TLS_AEAD_BPF_H

#include <agentrace/tls_record.h>
#include "aead_link.bpf.h"
#include "tls.bpf.h"

/* An init this long after the thread's read is not keyed by it. */
#define AEAD_LINK_NS 100000000ull

struct aead_key {
	__u32 tgid;
	__u32 _pad;
	__u64 ctx; /* EVP_AEAD_CTX* */
};
/* Contexts tied to their socket: aead_key -> aead_sock. Written by the
 * EVP_AEAD_CTX_init probe (and deleted there when the thread read no TLS
 * socket just before: a reused context keeps no old link); read by seal
 * and open. LRU: contexts are freed without a probe. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct aead_key);
	__type(value, struct aead_sock);
} aead_ctxs SEC(".maps");

/* EVP_AEAD_CTX_open between entry and return: pid_tgid -> ssl_args (ssl:
 * the ctx, buf: out, len_ptr: out_len). Written by aead_open_enter for
 * TLS 1.3 records only, taken by aead_open_exit. LRU, like the SSL maps. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct ssl_args);
} active_aead_open_args SEC(".maps");

/* Emits the content of one TLSInnerPlaintext of len bytes at buf, moved
 * through ctx in direction dir. */
static __always_inline void aead_record(__u64 actx, __u8 dir, __u64 buf, __u64 len)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct aead_key k = { .tgid = id >> 32, .ctx = actx };
	__u8 tail[AR_TLS_TAIL] = {}, type = 0;
	struct tls_state *st;
	struct aead_sock *l;
	__u32 n = AR_TLS_TAIL;
	long clen;

	l = bpf_map_lookup_elem(&aead_ctxs, &k);
	if (!l) {
		stat_add(AR_STAT_AEAD_UNLINKED, 1);
		return;
	}
	if (len < AR_TLS_TAIL)
		n = len & (AR_TLS_TAIL - 1);
	if (!n || bpf_probe_read_user(tail, n, (void *)(buf + len - n)))
		clen = -1;
	else
		clen = ar_tls13_inner(tail, n, len, &type);
	if (clen >= 0 && type != AR_TLS_CT_APPDATA) {
		stat_add(AR_STAT_AEAD_NOT_DATA, 1);
		return;
	}
	st = tls_get(k.tgid, AEAD_STREAM(l->sock_conn_id));
	if (!st)
		return;
	if (!st->sock_conn_id) {
		st->sock_conn_id = l->sock_conn_id;
		st->fd = l->fd;
	}
	if (clen < 0) {
		/* at most len - 1 bytes of content: declared lost, a gap */
		stat_add(AR_STAT_AEAD_LOST, 1);
		if (len > 1)
			__sync_fetch_and_add(&st->seq[dir], len - 1);
		return;
	}
	if (clen > 0)
		emit_tls_plain(st, dir, AEAD_STREAM(l->sock_conn_id), buf, clen);
}

/* Whether the associated data at ad is a TLS 1.3 record header. TLS 1.2
 * records (seq_num, type, version, length: 13 bytes) are counted, not
 * taken: their keys are not known to be made on the reading thread. */
static __always_inline bool aead_tls13(__u64 ad, __u64 ad_len)
{
	__u8 h[AR_TLS13_AAD_LEN];

	if (ad_len == 13)
		stat_add(AR_STAT_AEAD_TLS12, 1);
	return ad_len == AR_TLS13_AAD_LEN && !bpf_probe_read_user(h, sizeof(h), (void *)ad) &&
	       ar_tls13_aad(h, ad_len);
}

/* A record sealed or opened inside a probed SSL_* call is that call's
 * plaintext, taken once by the SSL_* probes: a shared BoringSSL or aws-lc
 * libcrypto under its own libssl (BoringSSL's SSL_read opens through
 * EVP_AEAD_CTX_open). */
static __always_inline bool aead_in_ssl_call(void)
{
	struct ssl_calls *c = ssl_calls_get(0);

	if (!c || (!c->dir[AR_DIR_EGRESS].live && !c->dir[AR_DIR_INGRESS].live))
		return false;
	stat_add(AR_STAT_AEAD_IN_SSL, 1);
	return true;
}

/* Arguments 7 and up at a function's entry (the return address is at
 * rsp). */
static __always_inline __u64 stack_arg(struct pt_regs *regs, int n)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)(PT_REGS_SP(regs) + 8 * (n - 6)));
	return v;
}

SEC("uprobe")
int BPF_KPROBE(aead_init_enter, void *actx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct aead_key k = { .tgid = id >> 32, .ctx = (__u64)actx };
	struct aead_sock *r;

	if (!is_target(k.tgid))
		return 0;
	r = bpf_map_lookup_elem(&aead_last_read, &id);
	if (!r || bpf_ktime_get_ns() - r->ts > AEAD_LINK_NS) {
		bpf_map_delete_elem(&aead_ctxs, &k);
		return 0;
	}
	if (bpf_map_update_elem(&aead_ctxs, &k, r, BPF_ANY))
		stat_add(AR_STAT_DROP_CONN_MAP, 1);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(aead_seal_enter, void *actx)
{
	__u64 id = bpf_get_current_pid_tgid(), in, in_len;

	if (!is_target(id >> 32) || !aead_tls13(stack_arg(ctx, 9), stack_arg(ctx, 10)) ||
	    aead_in_ssl_call())
		return 0;
	in = stack_arg(ctx, 7);
	in_len = stack_arg(ctx, 8);
	aead_record((__u64)actx, AR_DIR_EGRESS, in, in_len);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(aead_open_enter, void *actx, void *out, size_t *out_len)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_args a = { .ssl = (__u64)actx, .buf = (__u64)out, .len_ptr = (__u64)out_len,
			      .fd = -1 };

	if (!is_target(id >> 32) || !aead_tls13(stack_arg(ctx, 9), stack_arg(ctx, 10)) ||
	    aead_in_ssl_call())
		return 0;
	if (bpf_map_update_elem(&active_aead_open_args, &id, &a, BPF_ANY))
		stat_add(AR_STAT_DROP_ARGS_MAP, 1);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(aead_open_exit, int rc)
{
	__u64 id = bpf_get_current_pid_tgid(), n = 0;
	struct ssl_args *ap = bpf_map_lookup_elem(&active_aead_open_args, &id);
	struct ssl_args a;

	if (!ap)
		return 0;
	a = *ap;
	bpf_map_delete_elem(&active_aead_open_args, &id);
	if (rc != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)a.len_ptr))
		return 0;
	aead_record(a.ssl, AR_DIR_INGRESS, a.buf, n);
	return 0;
}

#endif
