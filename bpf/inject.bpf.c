// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --inject-traceparent: inserts "traceparent" (and "baggage") into the
 * outbound plaintext HTTP/1.1 requests of targeted processes, on the send
 * path. A separate object from capture.bpf.c, loaded only with the flag:
 * sockops and sk_msg programs need CAP_NET_ADMIN, which the default
 * four-capability mode does not have (docs/security.md).
 *
 *   sockops (cgroup v2 root)  connect() of a targeted process: the socket
 *                             gets parser state; once established it goes
 *                             into inject_socks.
 *   sk_msg (inject_socks)     every send on those sockets: the parser of
 *                             include/agentrace/inject_parse.h walks the
 *                             bytes and says where a header block goes;
 *                             bpf_msg_push_data makes the room.
 *
 * The ids are chosen here and reported on capture's ring (AR_EV_INJECT)
 * before the data record of the same send, so the CLIENT span uses them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <agentrace/events.h>
#include <agentrace/inject.h>
#include <agentrace/inject_parse.h>
#include "target.bpf.h" /* targ_all, self_tgid, targets (capture's, reused) */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10

/* Header bytes looked at per bpf_loop window, and windows plus body skips
 * per send call. Header bytes past WIN * ROUNDS in one send give the
 * socket up (AR_INJ_STAT_LOST_SYNC) rather than guess. The window lives
 * on the stack: per-CPU scratch could be reused by a preempting sender. */
#define WIN 128
#define ROUNDS 32

/* capture.bpf.c's ring: userspace passes its fd before load (reuse), so
 * AR_EV_INJECT records are ordered with the data records. Writer: sk_msg. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* Counters, index enum ar_inject_stat -> u64 per CPU. Writers: both
 * programs. Reader: user/inject/inject.c. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AR_INJ_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} inject_stats SEC(".maps");

/* Client sockets of targeted processes: socket cookie -> socket. Writer:
 * sockops at ACTIVE_ESTABLISHED; the kernel drops a socket at close. The
 * sk_msg program is attached to this map. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} inject_socks SEC(".maps");

/* Per-socket parser state. Created by sockops at connect() of a
 * targeted process, advanced by sk_msg, freed with the socket. */
struct inject_sk {
	struct inj_parse p;
	__u64 sent; /* bytes the process wrote (before any insert) */
};
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inject_sk);
} inject_state SEC(".maps");

/* Thread id -> the trace the thread's outbound calls belong to (the
 * inbound request it serves), with the baggage line to send. Writer:
 * userspace, while the request is served; deleted when its response
 * begins. Read by sk_msg: for a request the kernel decided at its read
 * (serve_thr) only when it names that request's span, as a refinement
 * (baggage, a trace decided by a caller on this host). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct ar_inject_ctx);
} inject_ctx SEC(".maps");

static __always_inline void stat(__u32 idx)
{
	counter_add(&inject_stats, idx, 1);
}

static __always_inline void rand_bytes(__u8 *b, int n)
{
	for (int i = 0; i < n; i += 4) {
		__u32 r = bpf_get_prandom_u32();

		__builtin_memcpy(b + i, &r, 4);
	}
}

/* Reserves an AR_EV_INJECT record of the sending (reading) thread with
 * its ids filled in; NULL, counted, when the ring is full. */
static __always_inline struct ar_inject_event *inject_event(__u16 flags, __u64 id,
							    const __u8 *trace_id,
							    const __u8 *span_id,
							    const __u8 *parent_id)
{
	struct ar_inject_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		stat(AR_INJ_STAT_DROP_RINGBUF);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = AR_EV_INJECT;
	ev->hdr.flags = flags;
	ev->hdr.tgid = id >> 32;
	ev->hdr.tid = (__u32)id;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(ev->trace_id, trace_id, 16);
	__builtin_memcpy(ev->span_id, span_id, 8);
	__builtin_memcpy(ev->parent_id, parent_id, 8);
	return ev;
}

/* The inbound side: SERVER ids decided at the read (serve_thr). */
#include "serve.bpf.h"

SEC("sockops")
int inject_sockops(struct bpf_sock_ops *skops)
{
	struct inject_sk *st;
	struct bpf_sock *sk;
	__u64 key;

	if (skops->family != AF_INET && skops->family != AF_INET6)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		/* connect() runs in the caller's context: its tgid is real */
		if (!is_target(bpf_get_current_pid_tgid() >> 32))
			return 1;
		if (!bpf_sk_storage_get(&inject_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE))
			stat(AR_INJ_STAT_SOCKHASH_FULL);
		return 1;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		/* only now may a socket enter a sockhash */
		st = bpf_sk_storage_get(&inject_state, sk, 0, 0);
		if (!st)
			return 1;
		key = bpf_get_socket_cookie(skops);
		if (bpf_sock_hash_update(skops, &inject_socks, &key, BPF_NOEXIST))
			stat(AR_INJ_STAT_SOCKHASH_FULL);
		else
			stat(AR_INJ_STAT_SOCKETS);
		return 1;
	}
	return 1;
}

/* One window through the parser, from bpf_loop. */
struct walk {
	struct inject_sk *st;
	__u8 *buf;
	__u32 n;        /* bytes in buf */
	__u32 consumed; /* bytes the parser took */
	bool insert;    /* stop: insert before byte consumed - 1 */
};

static long walk_byte(__u32 i, struct walk *w)
{
	struct inj_parse *p = &w->st->p;
	__u8 c, before, flags;
	int act;

	if (i >= w->n || i >= WIN || inj_parse__skippable(p))
		return 1; /* the outer loop skips body bytes by count */
	/* clang drops a plain mask after the test above; the verifier (6.18)
	 * needs it to bound a variable stack offset */
	asm volatile("%0 &= %1" : "+r"(i) : "i"(WIN - 1));
	c = w->buf[i];
	before = p->state;
	flags = p->flags;
	act = inj_parse__byte(p, c);
	w->consumed = i + 1;
	if (before == INJ_ST_LINE_START && (c == '\r' || c == '\n') && (flags & INJ_F_HAS_TP))
		stat(AR_INJ_STAT_PRESENT);
	if (act == INJ_ACT_INSERT) {
		w->insert = true;
		return 1;
	}
	if (act == INJ_ACT_DEAD) {
		stat(AR_INJ_STAT_NOT_HTTP);
		return 1;
	}
	return 0;
}

static __always_inline char hex(__u32 v)
{
	v &= 15;
	return v < 10 ? '0' + v : 'a' + v - 10;
}

/* Inserts the header block before byte at of msg and reports it.
 * Returns the bytes inserted, or 0 with msg as it was. A global function:
 * verified once, not once per parser round of inject_msg (whose stack
 * and instruction budget it would otherwise share; 6.18). */
__attribute__((noinline)) int insert(struct sk_msg_md *msg, struct inject_sk *st, __u32 at,
				     __u64 orig)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct ar_inject_ctx *ctx = bpf_map_lookup_elem(&inject_ctx, &tid);
	struct ar_inject_event *ev;
	__u8 tp[AR_INJECT_TP_LEN + 2] = "traceparent: 00-";
	__u8 trace_id[16], span_id[8], parent_id[8] = {};
	__u32 blen = 0, len, i, rport;
	const struct serve_slot *sv;
	bool ambiguous, parent = false;
	__u8 *d, *end;

	sv = thr_serving(tid, &ambiguous);
	if (ambiguous) {
		stat(AR_INJ_STAT_AMBIGUOUS);
		ctx = NULL;
	} else if (sv) {
		__u64 a, b;

		__builtin_memcpy(&a, sv->span_id, 8);
		if (ctx)
			__builtin_memcpy(&b, ctx->span_id, 8);
		if (ctx && a != b)
			ctx = NULL; /* userspace's context is of an earlier request */
		__builtin_memcpy(trace_id, ctx ? ctx->trace_id : sv->trace_id, 16);
		__builtin_memcpy(parent_id, sv->span_id, 8);
		parent = true;
	}
	if (ctx && !parent) {
		__builtin_memcpy(trace_id, ctx->trace_id, 16);
		__builtin_memcpy(parent_id, ctx->span_id, 8);
		parent = true;
	}
	if (ctx) {
		blen = ctx->baggage_len;
		if (blen > AR_INJECT_BAGGAGE_MAX)
			blen = 0;
	}
	if (!parent)
		rand_bytes(trace_id, 16);
	rand_bytes(span_id, 8);
	span_id[0] |= 1; /* never the invalid all-zero id */
	for (i = 0; i < 16; i++) {
		tp[16 + 2 * i] = hex(trace_id[i] >> 4);
		tp[17 + 2 * i] = hex(trace_id[i]);
	}
	tp[48] = '-';
	for (i = 0; i < 8; i++) {
		tp[49 + 2 * i] = hex(span_id[i] >> 4);
		tp[50 + 2 * i] = hex(span_id[i]);
	}
	__builtin_memcpy(tp + 65, "-01\r\n", 5);
	len = AR_INJECT_TP_LEN + blen;
	if (bpf_msg_push_data(msg, at, len, 0))
		goto fail;
	if (bpf_msg_pull_data(msg, at, at + len, 0))
		goto undo;
	d = (__u8 *)(long)msg->data;
	end = (__u8 *)(long)msg->data_end;
	if (d + AR_INJECT_TP_LEN > end)
		goto undo;
	__builtin_memcpy(d, tp, AR_INJECT_TP_LEN);
	for (i = 0; ctx && i < AR_INJECT_BAGGAGE_MAX; i++) {
		__u8 *q = d + AR_INJECT_TP_LEN + i;

		if (i >= blen)
			break;
		if (q + 1 > end)
			goto undo;
		*q = ctx->baggage[i];
	}
	stat(AR_INJ_STAT_INJECTED);
	if (parent)
		stat(AR_INJ_STAT_WITH_CTX);
	ev = inject_event(0, id, trace_id, span_id, parent_id);
	if (!ev)
		return len;
	ev->offset = orig;
	ev->req_index = st ? st->p.requests - 1 : 0;
	ev->sport = (__u16)msg->local_port;
	/* network order; in the upper half on 6.18, the lower on older kernels */
	rport = msg->remote_port;
	ev->dport = bpf_ntohs((__u16)(rport >> 16 ? rport >> 16 : rport));
	ev->inserted = (__u16)len;
	bpf_ringbuf_submit(ev, 0);
	return len;
undo:
	bpf_msg_pop_data(msg, at, len, 0);
fail:
	stat(AR_INJ_STAT_FAILED);
	return 0;
}

/* Where inject_msg stands in the message: its offset, the size (grown by
 * insertions) and the bytes inserted so far. */
struct msg_pos {
	__u32 off;
	__u32 size;
	__u32 added;
};

/* One round of inject_msg: skips body bytes by count, or walks a window of
 * up to WIN header bytes and inserts the header block where the parser
 * says. Returns 1 to go on, 0 to stop. A global function, verified once:
 * inlined into inject_msg's rounds, the copy loop's states multiplied and
 * 6.18.44's verifier ran past its 1M-instruction limit (E2BIG). */
__attribute__((noinline)) int inject_round(struct sk_msg_md *msg, struct inject_sk *st,
					   struct msg_pos *pos)
{
	__u8 buf[WIN];
	struct walk w = { .buf = buf, .st = st };
	__u32 n, got;
	__u64 skip;
	__u8 *d, *end;

	if (!st || !pos || pos->off >= pos->size)
		return 0;
	n = pos->size - pos->off;
	skip = inj_parse__skippable(&st->p);
	if (skip) {
		if (skip < n)
			n = (__u32)skip;
		inj_parse__skip(&st->p, n);
		pos->off += n;
		return 1;
	}
	if (n > WIN)
		n = WIN;
	if (bpf_msg_pull_data(msg, pos->off, pos->off + n, 0))
		return 0;
	d = (__u8 *)(long)msg->data;
	end = (__u8 *)(long)msg->data_end;
	for (got = 0; got < WIN; got++) {
		if (got >= n || d + got + 1 > end)
			break;
		buf[got] = d[got];
	}
	w.n = got;
	bpf_loop(WIN, walk_byte, &w, 0);
	if (!w.consumed && !inj_parse__skippable(&st->p))
		return 0; /* nothing moved: pull gave less than asked */
	if (w.insert) {
		__u32 at = pos->off + w.consumed - 1;
		__u32 len = (__u32)insert(msg, st, at, st->sent + at - pos->added);

		pos->off += len;
		pos->added += len;
		pos->size += len;
	}
	pos->off += w.consumed;
	return st->p.state != INJ_ST_DEAD;
}

SEC("sk_msg")
int inject_msg(struct sk_msg_md *msg)
{
	struct msg_pos pos = {};
	struct inject_sk *st;
	__u32 round;

	if (!msg->sk)
		return SK_PASS;
	st = bpf_sk_storage_get(&inject_state, msg->sk, 0, 0);
	if (!st || st->p.state == INJ_ST_DEAD)
		return SK_PASS;
	pos.size = msg->size;
	for (round = 0; round < ROUNDS && pos.off < pos.size; round++)
		if (!inject_round(msg, st, &pos))
			break;
	if (pos.off < pos.size && st->p.state != INJ_ST_DEAD) {
		/* header bytes left unparsed: the next send would be misread */
		st->p.state = INJ_ST_DEAD;
		stat(AR_INJ_STAT_LOST_SYNC);
	}
	st->sent += pos.size - pos.added;
	return SK_PASS;
}

/* The inbound side (serve.bpf.h), from the socket layer's tracepoints
 * (sock_call.bpf.h): a read parses, a write on the server socket (the
 * response) ends serving. */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(serve_recv, struct sock *sk, int ret, int flags)
{
	struct sock_syscall c;
	struct serve_args a;

	if (ret <= 0 || (flags & AR_MSG_PEEK) || !sock_is_tcp(sk) || !sock_call_of(&c, false))
		return 0;
	a.buf = c.buf;
	a.fd = c.fd;
	a.call = c.kind == SCK_BUF ? SV_READ : c.kind == SCK_IOV ? SV_READV : SV_RECVMSG;
	serve_read(&a, sk, ret);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(serve_send, struct sock *sk, int ret, int flags)
{
	struct sock_syscall c;

	if (sock_is_tcp(sk) && sock_call_of(&c, true))
		serve_end(bpf_get_current_pid_tgid() >> 32, c.fd, false);
	return 0;
}

/* A server socket's last close, wherever it runs (sk_marks holds its
 * process and fd; capture's program on the same tracepoint reads the mark
 * too, so each marks its own end). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(serve_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct sk_mark *m;

	if (sk->sk_protocol != AR_IPPROTO_TCP || !sk_closing(sk, newstate))
		return 0;
	m = sk_mark_of(sk);
	if (!m || !m->tgid || (m->ended & SK_ENDED_SERVE))
		return 0;
	m->ended |= SK_ENDED_SERVE;
	serve_end(m->tgid, m->fd, true);
	return 0;
}
