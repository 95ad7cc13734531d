/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --inject-traceparent, inbound side: when a target's accepted TCP socket
 * reads a request's header block, the kernel decides that request's
 * SERVER span ids right there (the inbound traceparent's trace when it
 * carries a valid one, else a new trace; a new span id) and notes them
 * for the reading thread, so the very first outbound request the thread
 * sends on its behalf already carries them (sk_msg, inject.bpf.c). The
 * ids go to userspace as an AR_EV_INJECT record flagged AR_INJ_F_SERVE.
 *
 * A thread serves a request from the read that completes its header
 * block until its server socket is next written (the response) or
 * closed. A thread serving two or more at once (an event loop) is
 * ambiguous: its sends get new traces, counted, never a guess.
 *
 * Socket-layer tracepoints of this object (inject.bpf.c): a target's
 * first read of a socket sk_marks says was accepted registers it, reads
 * parse, and a write or the socket's close ends serving.
 */
#ifndef AR_SERVE_BPF_H
#define AR_SERVE_BPF_H

#include "fdsock.bpf.h"
#include "sock_call.bpf.h"
#include "sk_mark.bpf.h"
#include <agentrace/inject_serve.h>

/* Requests one thread may serve at once before it counts as ambiguous. */
#define SERVE_SLOTS 4

struct serve_key {
	__u32 tgid;
	__s32 fd;
};
struct serve_sk {
	struct inj_serve s;
	__u16 sport, dport;   /* local and remote port, host order */
	__u32 serving_tid;    /* thread serving this socket's current request; 0: none */
	__u32 sk_tag;         /* the socket (sk_tag()): a reused fd starts afresh */
	__u32 _pad;
};
/* Accepted TCP sockets of targets: (tgid, fd) -> parser state. Written
 * by a socket's first read (serve_sock), advanced by reads, deleted at
 * its close; LRU, so a close we missed ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct serve_key);
	__type(value, struct serve_sk);
} serve_socks SEC(".maps");

struct serve_slot {
	__s32 fd;             /* the server socket */
	__u32 used;
	__u8 trace_id[16];
	__u8 span_id[8];      /* the SERVER span */
};
struct serve_thr {
	__u8 n;               /* slots used */
	__u8 over;            /* a request found no free slot: ambiguous until n is 0 */
	__u8 _pad[6];
	struct serve_slot slot[SERVE_SLOTS];
};
/* Thread id -> the inbound requests it serves. Written by read exits
 * (header block in) and by write/close entries on the server socket
 * (slot freed); read by sk_msg. LRU: threads that exit age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct serve_thr);
} serve_thr SEC(".maps");

enum serve_call { SV_READ = 0, SV_READV, SV_RECVMSG };
/* A read of a server socket, as its syscall got it. */
struct serve_args {
	__u64 buf;    /* buffer, iovec array or user_msghdr */
	__s32 fd;
	__u32 call;   /* enum serve_call */
};

static __always_inline void thr_close(__u32 tid, __s32 fd)
{
	struct serve_thr *t = bpf_map_lookup_elem(&serve_thr, &tid);

	if (!t)
		return;
	for (int i = 0; i < SERVE_SLOTS; i++)
		if (t->slot[i].used && t->slot[i].fd == fd) {
			t->slot[i].used = 0;
			if (t->n)
				t->n--;
		}
	if (!t->n)
		t->over = 0;
}

/* tid now serves the request just read on fd (a keep-alive socket's
 * next request replaces its previous one). */
static __always_inline void thr_open(__u32 tid, __s32 fd, const __u8 *trace_id,
				     const __u8 *span_id)
{
	struct serve_thr *t = bpf_map_lookup_elem(&serve_thr, &tid), zero = {};
	int hit = -1, free = -1;

	if (!t) {
		bpf_map_update_elem(&serve_thr, &tid, &zero, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&serve_thr, &tid);
		if (!t) {
			stat(AR_INJ_STAT_SERVE_FULL);
			return;
		}
	}
	for (int i = 0; i < SERVE_SLOTS; i++) {
		if (t->slot[i].used && t->slot[i].fd == fd)
			hit = i;
		else if (!t->slot[i].used && free < 0)
			free = i;
	}
	if (hit < 0) {
		if (free < 0) {
			t->over = 1;
			return;
		}
		hit = free;
		t->n++;
	}
	hit &= SERVE_SLOTS - 1;
	t->slot[hit].used = 1;
	t->slot[hit].fd = fd;
	__builtin_memcpy(t->slot[hit].trace_id, trace_id, 16);
	__builtin_memcpy(t->slot[hit].span_id, span_id, 8);
}

/* The one request tid serves, or NULL; *ambiguous when it serves more. */
static __always_inline const struct serve_slot *thr_serving(__u32 tid, bool *ambiguous)
{
	struct serve_thr *t = bpf_map_lookup_elem(&serve_thr, &tid);

	*ambiguous = false;
	if (!t || !t->n)
		return NULL;
	if (t->n > 1 || t->over) {
		*ambiguous = true;
		return NULL;
	}
	for (int i = 0; i < SERVE_SLOTS; i++)
		if (t->slot[i].used)
			return &t->slot[i];
	return NULL;
}

/* A request's header block is in: decide its SERVER span ids, hand them
 * to the thread and report them. Global functions here and below are
 * verified once, not once per round of serve_read's loop, which
 * otherwise passes the verifier's 1M instruction limit (6.18). */
__attribute__((noinline)) int serve_decide(struct serve_sk *st, __s32 fd, __u64 id)
{
	__u32 tid = (__u32)id;
	struct ar_inject_event *ev;
	__u8 trace_id[16], span_id[8], parent_id[8] = {}, flags = 1;

	if (!st)
		return 0;

	if (inj_tp__valid(&st->s.tp)) {
		__builtin_memcpy(trace_id, st->s.tp.trace_id, 16);
		__builtin_memcpy(parent_id, st->s.tp.parent_id, 8);
		flags = st->s.tp.flags;
		stat(AR_INJ_STAT_SERVED_TP);
	} else {
		rand_bytes(trace_id, 16);
		trace_id[0] |= 1; /* never the invalid all-zero id */
	}
	rand_bytes(span_id, 8);
	span_id[0] |= 1;
	if (st->serving_tid && st->serving_tid != tid)
		thr_close(st->serving_tid, fd);
	thr_open(tid, fd, trace_id, span_id);
	st->serving_tid = tid;
	stat(AR_INJ_STAT_SERVED);
	ev = inject_event(AR_INJ_F_SERVE, id, trace_id, span_id, parent_id);
	if (!ev)
		return 0;
	ev->req_index = st->s.p.requests - 1;
	ev->sport = st->sport;
	ev->dport = st->dport;
	ev->trace_flags = flags;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* Target tgid's server socket sk on fd, registered at its first read
 * (sk_marks says the socket is a listener's child), or NULL. */
static __always_inline struct serve_sk *serve_sock(__u32 tgid, __s32 fd, const struct sock *sk)
{
	struct serve_key k = { .tgid = tgid, .fd = fd };
	struct serve_sk *cur = bpf_map_lookup_elem(&serve_socks, &k), st = {};
	struct sk_mark *m;

	if (cur && cur->sk_tag == sk_tag(sk))
		return cur;
	m = sk_mark_of(sk);
	if (!m || m->role != AR_ROLE_SERVER) {
		if (cur)
			bpf_map_delete_elem(&serve_socks, &k);
		return NULL;
	}
	st.sport = sk->__sk_common.skc_num;
	st.dport = bpf_ntohs(sk->__sk_common.skc_dport);
	st.sk_tag = sk_tag(sk);
	if (bpf_map_update_elem(&serve_socks, &k, &st, BPF_ANY)) {
		stat(AR_INJ_STAT_SERVE_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&serve_socks, &k);
}

/* One window through the parser, from bpf_loop. */
struct srv_walk {
	struct serve_sk *st;
	__u8 *buf;
	__u32 n;        /* bytes in buf */
	__u32 consumed; /* bytes the parser took */
	int act;        /* INJ_SRV_* that stopped the window */
};

static long srv_walk_byte(__u32 i, struct srv_walk *w)
{
	int act;

	if (i >= w->n || i >= WIN || inj_parse__skippable(&w->st->s.p))
		return 1;
	asm volatile("%0 &= %1" : "+r"(i) : "i"(WIN - 1)); /* see walk_byte */
	act = inj_serve__byte(&w->st->s, w->buf[i]);
	w->consumed = i + 1;
	if (act != INJ_SRV_NONE) {
		w->act = act;
		return 1;
	}
	return 0;
}

/* Feeds up to WIN bytes at user address p to st's parser. Returns the
 * bytes consumed | INJ_SRV_* that stopped it << 16; 0: nothing moved. */
__attribute__((noinline)) int serve_window(struct serve_sk *st, __u64 p, __u32 n)
{
	__u8 buf[2 * WIN]; /* twice: the mask below is what the verifier bounds */
	struct srv_walk w = { .st = st, .buf = buf, .n = n };
	__u64 sz = n;

	asm volatile("%0 &= %1" : "+r"(sz) : "i"(2 * WIN - 1));
	if (!st || n > WIN || bpf_probe_read_user(buf, sz, (void *)p))
		return 0;
	bpf_loop(WIN, srv_walk_byte, &w, 0);
	return (int)(w.consumed | (__u32)w.act << 16);
}

/* The bytes a read returned: the first buffer (a vector read's first
 * iovec), and how many of the ret bytes it holds. */
static __always_inline bool read_buffer(const struct serve_args *a, long ret, __u64 *p, __u64 *n)
{
	struct user_msghdr msg;
	struct iovec iov;
	__u64 vec = a->buf;

	*n = (__u64)ret;
	if (a->call == SV_READ) {
		*p = a->buf;
		return true;
	}
	if (a->call == SV_RECVMSG) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)a->buf) || !msg.msg_iovlen)
			return false;
		vec = (__u64)msg.msg_iov;
	}
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)vec))
		return false;
	*p = (__u64)iov.iov_base;
	if (iov.iov_len < *n)
		*n = iov.iov_len;
	return true;
}

static __always_inline void serve_give_up(struct serve_sk *st)
{
	st->s.p.state = INJ_ST_DEAD;
	stat(AR_INJ_STAT_SERVE_LOST);
}

/* A read of ret bytes by a target on its server socket sk (a: the
 * read's arguments): parse them. Entry and exit in one, as the socket
 * layer sees the read once, done. */
static __always_inline void serve_read(const struct serve_args *ap, const struct sock *sk,
				       long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct serve_args a = *ap;
	struct serve_sk *st;
	__u64 p, len, off = 0;

	if (ret <= 0 || !is_target(id >> 32))
		return;
	st = serve_sock(id >> 32, a.fd, sk);
	if (!st || st->s.p.state == INJ_ST_DEAD)
		return;
	if (!read_buffer(&a, ret, &p, &len)) {
		serve_give_up(st);
		return;
	}
	for (int round = 0; round < ROUNDS && off < len; round++) {
		__u64 skip = inj_parse__skippable(&st->s.p);
		int r, act;

		if (skip) {
			if (skip > len - off)
				skip = len - off;
			inj_parse__skip(&st->s.p, skip);
			off += skip;
			continue;
		}
		r = serve_window(st, p + off, len - off > WIN ? WIN : (__u32)(len - off));
		if (!(r & 0xffff))
			break;
		off += r & 0xffff;
		act = r >> 16;
		if (act == INJ_SRV_HEADERS)
			serve_decide(st, a.fd, id);
		else if (act == INJ_SRV_DEAD)
			stat(AR_INJ_STAT_SERVE_LOST);
		if (st->s.p.state == INJ_ST_DEAD)
			return; /* not HTTP/1.x, or a tunnel after its request */
	}
	/* bytes left unparsed (past the bound, or a vector read's later
	 * iovecs): the next read would be misread */
	if (off < (__u64)ret)
		serve_give_up(st);
}

/* A write on tgid's server socket fd begins its response; a close ends
 * it. */
static __always_inline void serve_end(__u32 tgid, __s32 fd, bool closing)
{
	struct serve_key k = { .tgid = tgid, .fd = fd };
	struct serve_sk *st;

	if (!is_target(k.tgid))
		return;
	st = bpf_map_lookup_elem(&serve_socks, &k);
	if (!st)
		return;
	if (st->serving_tid) {
		thr_close(st->serving_tid, fd);
		st->serving_tid = 0;
	}
	if (closing)
		bpf_map_delete_elem(&serve_socks, &k);
}

#endif
