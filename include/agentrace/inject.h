/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel <-> userspace ABI of --inject-traceparent (bpf/inject.bpf.c,
 * user/inject/): the record that reports the ids put on the wire, the
 * per-thread context userspace hands the kernel, and the counters.
 *
 * WARNING: the record is stored in capture files like those of
 * events.h; changing its layout breaks them. Bump AR_CAPTURE_VERSION.
 */
#ifndef AGENTRACE_INJECT_H
#define AGENTRACE_INJECT_H

#include <agentrace/events.h>

/* Longest "baggage: ...\r\n" line the kernel inserts. */
#define AR_INJECT_BAGGAGE_MAX 224
/* "traceparent: 00-<32>-<16>-01\r\n" */
#define AR_INJECT_TP_LEN 70

/* ar_inject_event.hdr.flags: the record is about an inbound request. */
#define AR_INJ_F_SERVE 0x1

/* AR_EV_INJECT: one per request a header block went into. Arrives on the
 * ring before the data record of the same send call.
 * With AR_INJ_F_SERVE: one per request a target's server socket read,
 * sent when its header block is in (bpf/serve.bpf.h), after that read's
 * data record: the ids the kernel gave its SERVER span, which the
 * thread's outbound requests then carry. */
struct ar_inject_event {
	struct ar_event_hdr hdr; /* tgid/tid of the sender (reader); conn_id 0 */
	__u8 trace_id[16];
	__u8 span_id[8];         /* the CLIENT (SERVER) span: parent-id on the wire */
	__u8 parent_id[8];       /* span the kernel took from inject_ctx (the inbound
				  * traceparent's parent-id); 0: a new trace */
	__u64 offset;            /* stream offset (bytes the process wrote) of the insert; 0 */
	__u32 req_index;         /* 0-based order of the request on its connection */
	__u16 sport;             /* local port, host order */
	__u16 dport;             /* remote port, host order */
	__u16 inserted;          /* bytes inserted (traceparent + baggage lines); 0 */
	__u8 trace_flags;        /* SERVE: the inbound traceparent's flags */
	__u8 _pad[5];
};

/* inject_ctx value: the context a thread's outbound calls belong to,
 * written by userspace while the thread serves an inbound request. */
struct ar_inject_ctx {
	__u8 trace_id[16];
	__u8 span_id[8];      /* the SERVER span: the injected span's parent */
	__u16 baggage_len;    /* bytes of baggage[] to insert; 0: none */
	__u8 _pad[6];
	char baggage[AR_INJECT_BAGGAGE_MAX]; /* a whole "baggage: ...\r\n" line */
};

/* Per-CPU counters of bpf/inject.bpf.c, printed by name
 * (user/inject/inject.c). Append only. */
enum ar_inject_stat {
	AR_INJ_STAT_SOCKETS = 0,    /* targeted client sockets put in the sockhash */
	AR_INJ_STAT_SOCKHASH_FULL,  /* ... not: sockhash or storage full */
	AR_INJ_STAT_INJECTED,       /* header blocks inserted */
	AR_INJ_STAT_PRESENT,        /* requests that carried a traceparent: left alone */
	AR_INJ_STAT_FAILED,         /* push/pull/write failed: request left unchanged */
	AR_INJ_STAT_NOT_HTTP,       /* sockets given up: not HTTP/1.x requests or a tunnel */
	AR_INJ_STAT_LOST_SYNC,      /* sockets given up: header bytes past the per-send bound */
	AR_INJ_STAT_WITH_CTX,       /* injected into the trace of inject_ctx */
	AR_INJ_STAT_DROP_RINGBUF,   /* injected, but its record was lost */
	AR_INJ_STAT_SERVED,         /* inbound requests given SERVER ids at their read */
	AR_INJ_STAT_SERVED_TP,      /* ... that continue their own valid traceparent */
	AR_INJ_STAT_AMBIGUOUS,      /* sends from a thread serving several requests: new trace */
	AR_INJ_STAT_SERVE_LOST,     /* server sockets given up: not HTTP/1.x or past a bound */
	AR_INJ_STAT_SERVE_FULL,     /* server sockets or threads not tracked: map full */
	AR_INJ_STAT_MAX,
};

#ifndef __BPF__
_Static_assert(sizeof(struct ar_inject_event) == 88, "ar_inject_event ABI");
_Static_assert(sizeof(struct ar_inject_ctx) == 256, "ar_inject_ctx ABI");
#endif

#endif /* AGENTRACE_INJECT_H */
