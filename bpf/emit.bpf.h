/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copies user buffers to the ring in AR_CHUNK_MAX pieces through a
 * per-CPU scratch record claimed for the call (small iovecs gathered into
 * one), keeping stream offsets exact even when a copy fails, so userspace
 * can tell a gap from a complete stream. */
#ifndef AR_EMIT_BPF_H
#define AR_EMIT_BPF_H

#include "maps.bpf.h"

/* A first chunk up to this size is never shed (see emit_chunk_cb). */
#define AR_SHED_SMALL 4096

struct emit_ctx {
	__u64 buf;  /* user address of the bytes */
	__u64 len;  /* bytes to emit */
	__u64 seq;  /* stream offset of buf[0] */
	__u32 slot; /* scratch slot claimed by emit_prepare */
};

/* Under pressure, bulk goes first (counted, a gap later), so small
 * records (a real client's calls during a flood of large bodies, the
 * connection events) still find room: with the ring 3/4 full a call's
 * chunks after its first are shed, and 7/8 full its first chunk too
 * unless it is small. True when a record of n bytes is to be shed. */
static __always_inline bool emit_shed(bool first, __u64 n)
{
	__u64 used, eighth;

	if (first && n <= AR_SHED_SMALL)
		return false;
	used = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	eighth = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 8;
	return used > eighth * (first ? 7 : 6);
}

/* Sends the first n bytes of s->buf as stream offset seq. */
static __always_inline void emit_send(struct data_scratch *s, __u64 seq, __u32 n)
{
	/* Re-bound n for the verifier: clang may lose the caller's range. */
	if (n > AR_CHUNK_MAX)
		return;
	s->ev.seq = seq;
	s->ev.len = n;
	if (bpf_ringbuf_output(&events, &s->ev, sizeof(s->ev) + n,
			       rb_flags_len(sizeof(s->ev) + n))) {
		stat_add(AR_STAT_DROP_RINGBUF, 1);
		return;
	}
	stat_add(AR_STAT_EVENTS, 1);
	stat_add(AR_STAT_BYTES, n);
}

static long emit_chunk_cb(__u32 i, void *arg)
{
	struct emit_ctx *c = arg;
	struct data_scratch *s;
	__u64 off = (__u64)i * AR_CHUNK_MAX;
	__u32 n;

	if (off >= c->len)
		return 1;
	s = bpf_map_lookup_elem(&scratch, &c->slot);
	if (!s)
		return 1;
	n = c->len - off > AR_CHUNK_MAX ? AR_CHUNK_MAX : c->len - off;
	/* Re-bound n for the verifier: clang may lose the range above. */
	if (n > AR_CHUNK_MAX)
		return 1;
	if (emit_shed(i == 0, n)) {
		stat_add(AR_STAT_DROP_SHED, c->len - off);
		return 1;
	}
	if (bpf_probe_read_user(s->buf, n, (void *)(c->buf + off))) {
		stat_add(AR_STAT_DROP_READ, n);
		return 0;
	}
	emit_send(s, c->seq + off, n);
	return 0;
}

/* Fills what every data record of a call shares: all of the header but
 * seq and len (ring memory is not zeroed, so the pads too). */
static __always_inline void data_hdr(struct ar_data_event *ev, __u64 id, __u64 conn_id,
				     __u8 dir, __u8 source, __u16 flags, __s32 fd, __u64 ssl,
				     __u64 sock_conn_id)
{
	ev->hdr.type = AR_EV_DATA;
	ev->hdr.flags = flags;
	ev->hdr.tgid = id >> 32;
	ev->hdr.tid = (__u32)id;
	ev->hdr._pad = 0;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->hdr.conn_id = conn_id;
	ev->sock_conn_id = sock_conn_id;
	ev->ssl_ptr = ssl;
	ev->fd = fd;
	ev->dir = dir;
	ev->source = source;
	__builtin_memset(ev->_pad, 0, sizeof(ev->_pad));
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* Claims a free scratch slot of this CPU and fills the header that every
 * chunk of this call shares. Returns the slot (pass it to emit_buf/emit_iov,
 * then emit_release), or -1 when every slot is busy: the caller's bytes are
 * then counted as lost; the stream offset was already advanced, so
 * userspace sees a gap. */
static __always_inline int emit_prepare(__u64 conn_id, __u8 dir, __u8 source,
					__u16 flags, __s32 fd, __u64 ssl,
					__u64 sock_conn_id)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct data_scratch *s = NULL;
	__u32 slot, key;

	/* The lookup key is a copy: with slot itself spilled for the lookup,
	 * the verifier lost its value and, depending on what clang kept in
	 * registers, saw an infinite loop (tests/bpf/scratch_claim.bpf.c). */
	for (slot = 0; slot < AR_SCRATCH_SLOTS; slot++) {
		key = slot;
		s = bpf_map_lookup_elem(&scratch, &key);
		if (s && __sync_val_compare_and_swap(&s->owner, 0, id + 1) == 0)
			break;
		s = NULL;
	}
	if (!s)
		return -1;
	data_hdr(&s->ev, id, conn_id, dir, source, flags, fd, ssl, sock_conn_id);
	return (int)slot;
}

static __always_inline void emit_release(int slot)
{
	__u32 k = (__u32)slot;
	struct data_scratch *s = bpf_map_lookup_elem(&scratch, &k);

	if (s)
		__sync_lock_test_and_set(&s->owner, 0);
}

/* Emits len bytes at user address buf as stream offset seq. Bytes beyond
 * AR_MAX_CHUNKS_PER_CALL chunks are counted and left as a gap. */
static __always_inline void emit_buf(int slot, __u64 buf, __u64 len, __u64 seq)
{
	struct emit_ctx c = { .buf = buf, .len = len, .seq = seq, .slot = (__u32)slot };
	__u64 max = (__u64)AR_MAX_CHUNKS_PER_CALL * AR_CHUNK_MAX;
	__u32 nr;

	if (len > max) {
		stat_add(AR_STAT_DROP_TOO_BIG, len - max);
		c.len = max;
	}
	nr = (c.len + AR_CHUNK_MAX - 1) / AR_CHUNK_MAX;
	bpf_loop(nr, emit_chunk_cb, &c, 0);
}

/* A payload up to AR_DIRECT_MAX bytes goes straight into a ring record
 * reserved at its size class (256, 1024 or AR_DIRECT_MAX bytes after the
 * header): one copy, user memory to the ring, instead of two (to the
 * per-CPU scratch, then to the ring), and no scratch slot to claim. The
 * slack past the payload is flagged (AR_F_SLACK) and cut by the reader
 * (user/capture/ring.c). Never shed: no bigger than AR_SHED_SMALL. */
#define AR_DIRECT_MAX 4096
_Static_assert(AR_DIRECT_MAX <= AR_SHED_SMALL, "a direct record is never shed");

/* A direct record's header fields and source, passed by pointer (a
 * subprogram takes five arguments at most). */
struct direct_rec {
	__u64 conn_id, ssl, sock_conn_id, buf, seq;
	__s32 fd;
	__u32 n;
	__u16 flags;
	__u8 dir, source;
};

/* One size class per subprogram: a constant reserve size and n bounded
 * by it in the same function, which clang cannot merge with the other
 * classes' copies (inlined, it did, and the verifier saw a 4096-byte
 * copy into a 256-byte record). Returns 1 when the record was handled
 * (emitted, or counted as lost), 0 when n does not fit this class. */
#define EMIT_DIRECT_CLASS(cls)                                                           \
	static __noinline int emit_direct_##cls(struct direct_rec *d)                     \
	{                                                                                \
		struct ar_data_event *ev;                                                \
		__u32 m = d->n;                                                          \
                                                                                         \
		if (m > (cls))                                                           \
			return 0;                                                        \
		ev = bpf_ringbuf_reserve(&events, sizeof(*ev) + (cls), 0);               \
		if (!ev) {                                                               \
			stat_add(AR_STAT_DROP_RINGBUF, 1);                               \
			return 1;                                                        \
		}                                                                        \
		if (bpf_probe_read_user(ev->data, m, (void *)d->buf)) {                  \
			bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);                       \
			stat_add(AR_STAT_DROP_READ, m);                                  \
			return 1;                                                        \
		}                                                                        \
		data_hdr(ev, bpf_get_current_pid_tgid(), d->conn_id, d->dir, d->source,     \
			 d->flags | AR_F_SLACK, d->fd, d->ssl, d->sock_conn_id);         \
		ev->seq = d->seq;                                                        \
		ev->len = m;                                                             \
		bpf_ringbuf_submit(ev, rb_flags_len(sizeof(*ev) + (cls)));               \
		stat_add(AR_STAT_EVENTS, 1);                                             \
		stat_add(AR_STAT_BYTES, m);                                              \
		return 1;                                                                \
	}
EMIT_DIRECT_CLASS(256)
EMIT_DIRECT_CLASS(1024)
EMIT_DIRECT_CLASS(4096)
_Static_assert(AR_DIRECT_MAX == 4096, "the largest class");

/* Emits n bytes at buf as one direct record when n is 1..AR_DIRECT_MAX;
 * false (nothing done) otherwise, for emit_prepare/emit_buf. */
static __always_inline bool emit_direct(__u64 conn_id, __u8 dir, __u8 source, __u16 flags,
					__s32 fd, __u64 ssl, __u64 sock_conn_id, __u64 buf,
					__u64 n, __u64 seq)
{
	struct direct_rec d = { .conn_id = conn_id, .ssl = ssl, .sock_conn_id = sock_conn_id,
				.buf = buf, .seq = seq, .fd = fd, .n = n, .flags = flags,
				.dir = dir, .source = source };

	if (!n || n > AR_DIRECT_MAX)
		return false;
	return emit_direct_256(&d) || emit_direct_1024(&d) || emit_direct_4096(&d);
}

/* An iovec up to this size is gathered with its neighbours into one
 * record of up to AR_CHUNK_MAX bytes: nginx answers with writev of
 * headers and body, and a record per iovec cost a ring submission (and
 * a record for userspace to take) per piece. A bigger iovec is emitted
 * alone, by emit_buf. */
#define AR_GATHER_IOV 4096

struct iov_ctx {
	__u64 iov_ptr; /* user address of the iovec array */
	__u64 iovcnt;
	__u64 left;    /* bytes of the call not yet placed */
	__u64 seq;     /* stream offset of the next byte */
	__u32 fill;    /* bytes gathered in the slot's buf: offsets seq - fill .. seq */
	__u32 slot;
};

/* Emits what is gathered as one record; under pressure it is shed as a
 * call's first chunk is (emit_shed). */
static __always_inline void iov_flush(struct iov_ctx *c, struct data_scratch *s)
{
	__u32 n = c->fill;

	if (!n)
		return;
	c->fill = 0;
	if (emit_shed(true, n))
		stat_add(AR_STAT_DROP_SHED, n);
	else
		emit_send(s, c->seq - n, n);
}

static long emit_iov_cb(__u32 i, void *arg)
{
	struct iov_ctx *c = arg;
	struct data_scratch *s;
	struct iovec iov;
	__u32 fill;
	__u64 n;

	if (i >= c->iovcnt || !c->left)
		return 1;
	s = bpf_map_lookup_elem(&scratch, &c->slot);
	if (!s)
		return 1;
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(c->iov_ptr + i * sizeof(iov)))) {
		iov_flush(c, s);
		stat_add(AR_STAT_DROP_READ, c->left);
		c->left = 0;
		return 1;
	}
	n = iov.iov_len < c->left ? iov.iov_len : c->left;
	if (!n)
		return 0;
	if (n > AR_GATHER_IOV) {
		iov_flush(c, s);
		emit_buf(c->slot, (__u64)iov.iov_base, n, c->seq);
	} else {
		/* Full enough: start a new record. The bound (rather than
		 * fill + n <= AR_CHUNK_MAX) is one the verifier can follow. */
		if (c->fill > AR_CHUNK_MAX - AR_GATHER_IOV)
			iov_flush(c, s);
		/* never true (iov_flush zeroed it), but the verifier needs
		 * the bound on the value it reloads */
		fill = c->fill;
		if (fill > AR_CHUNK_MAX - AR_GATHER_IOV)
			return 1;
		if (bpf_probe_read_user(s->buf + fill, n, iov.iov_base)) {
			iov_flush(c, s);
			stat_add(AR_STAT_DROP_READ, n);
		} else {
			c->fill = fill + n;
		}
	}
	c->seq += n;
	c->left -= n;
	return 0;
}

/* Emits the first total bytes spread over an iovec array, in order, with
 * small iovecs gathered (AR_GATHER_IOV). Bytes in iovecs beyond
 * AR_MAX_IOV are counted and left as a gap. A global function, so the
 * verifier checks it once per program rather than once for every path
 * that reaches it: inlined, it took exit_write of agent-first mode (the
 * bounded paths) past the 1M-instruction limit on kernel 6.18. */
__noinline int emit_iov(__u32 slot, __u64 iov_ptr, __u64 iovcnt, __u64 total, __u64 seq)
{
	struct iov_ctx c = { .iov_ptr = iov_ptr, .iovcnt = iovcnt, .left = total, .seq = seq,
			     .slot = (__u32)slot };
	struct data_scratch *s;

	bpf_loop(AR_MAX_IOV, emit_iov_cb, &c, 0);
	s = bpf_map_lookup_elem(&scratch, &c.slot);
	if (s)
		iov_flush(&c, s);
	if (c.left)
		stat_add(AR_STAT_DROP_TOO_BIG, c.left);
	return 0;
}

#endif
