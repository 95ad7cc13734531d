/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go crypto/tls uprobes: plaintext of (*tls.Conn).Write and Read.
 *
 * Go's register ABI (amd64, Go 1.17+): at entry RAX = receiver (*Conn),
 * RBX = b.ptr, RCX = b.len; at RET RAX = n. R14 holds the running
 * goroutine's g. No uretprobes: Go moves goroutine stacks, and a
 * uretprobe's rewritten return address would move with them into the
 * wrong place. Userspace puts plain uprobes on every RET instruction of
 * the function instead (discover/tls_go.c), and the entry arguments are
 * keyed by goroutine (g pointer), not thread: a goroutine blocked in Read
 * may resume on another thread.
 *
 * The stream is keyed like an SSL*: (tgid, *tls.Conn) in tls_conns. Its
 * socket is read from the Conn: conn net.Conn (iface {tab, data}) ->
 * *net.TCPConn -> fd *netFD -> pfd.Sysfd at offset 16 (fdMutex is 16
 * bytes), stable since Go 1.9; the fd is only trusted when conns knows
 * that socket in this process.
 */
#ifndef AR_GO_TLS_BPF_H
#define AR_GO_TLS_BPF_H

#include "tls.bpf.h"

#if defined(__TARGET_ARCH_x86)

struct go_key {
	__u32 tgid;
	__u32 _pad;
	__u64 g;    /* runtime.g of the calling goroutine (R14) */
};
struct go_tls_args {
	__u64 conn; /* *tls.Conn */
	__u64 buf;  /* b.ptr */
};
/* go_key -> go_tls_args between the entry uprobe and a RET uprobe of
 * (*tls.Conn).Write / Read, one map per direction. Written at entry, taken
 * at RET; a goroutine that never returns (panics) leaves its entry to LRU.
 * Per-CPU LRU lists: every call inserts, and with the common list the
 * OpenSSL entry probes (LRU hashes then) took 420-490 ns a run against
 * 350 ns (probe_cost, docs/performance.md). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct go_key);
	__type(value, struct go_tls_args);
} go_tls_write_args SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct go_key);
	__type(value, struct go_tls_args);
} go_tls_read_args SEC(".maps");

#define GO_SYSFD_OFF 16

static __always_inline __s32 go_conn_fd(__u64 conn)
{
	__u64 data = 0, netfd = 0;
	__s64 fd = -1;

	if (bpf_probe_read_user(&data, sizeof(data), (void *)(conn + 8)) || !data ||
	    bpf_probe_read_user(&netfd, sizeof(netfd), (void *)data) || !netfd ||
	    bpf_probe_read_user(&fd, sizeof(fd), (void *)(netfd + GO_SYSFD_OFF)))
		return -1;
	return fd >= 0 && fd < (1 << 20) ? (__s32)fd : -1;
}

static __always_inline int go_tls_enter(void *map, struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_key k = { .tgid = id >> 32, .g = ctx->r14 };
	struct go_tls_args a = { .conn = ctx->ax, .buf = ctx->bx };

	if (!is_target(k.tgid))
		return 0;
	if (bpf_map_update_elem(map, &k, &a, BPF_ANY))
		stat_add(AR_STAT_DROP_ARGS_MAP, 1);
	return 0;
}

static __always_inline int go_tls_ret(void *map, __u8 dir, struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_key k = { .tgid = id >> 32, .g = ctx->r14 };
	struct go_tls_args *ap = bpf_map_lookup_elem(map, &k), a;
	struct tls_state *st;
	__s64 n = ctx->ax;

	if (!ap)
		return 0;
	a = *ap;
	bpf_map_delete_elem(map, &k);
	if (n <= 0)
		return 0;
	st = tls_get(k.tgid, a.conn);
	if (!st)
		return 0;
	if (!st->sock_conn_id)
		tls_link_sock(st, k.tgid, go_conn_fd(a.conn));
	emit_tls_plain(st, dir, a.conn, a.buf, n);
	return 0;
}

SEC("uprobe")
int go_tls_write_enter(struct pt_regs *ctx)
{
	return go_tls_enter(&go_tls_write_args, ctx);
}

SEC("uprobe")
int go_tls_write_ret(struct pt_regs *ctx)
{
	return go_tls_ret(&go_tls_write_args, AR_DIR_EGRESS, ctx);
}

SEC("uprobe")
int go_tls_read_enter(struct pt_regs *ctx)
{
	return go_tls_enter(&go_tls_read_args, ctx);
}

SEC("uprobe")
int go_tls_read_ret(struct pt_regs *ctx)
{
	return go_tls_ret(&go_tls_read_args, AR_DIR_INGRESS, ctx);
}

/* (*tls.Conn).Close: the plaintext stream ends. */
SEC("uprobe")
int go_tls_close_enter(struct pt_regs *ctx)
{
	return ssl_end(ctx->ax);
}

#endif /* __TARGET_ARCH_x86 */
#endif
