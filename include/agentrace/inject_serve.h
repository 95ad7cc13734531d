/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The inbound side of --inject-traceparent: a target's server socket
 * reads requests, and the kernel decides each one's SERVER span ids when
 * its header block is in (bpf/serve.bpf.h), before the thread can send
 * anything on its behalf. This walks the request stream with the parser
 * of inject_parse.h (same request boundaries, bodies skipped by count)
 * and reads a traceparent value on the way, by the rules of
 * user/trace/traceparent.c: lowercase hex, version not ff, version 00
 * exactly 55 characters, later versions only '-' after the flags,
 * non-zero ids, one traceparent header per request.
 *
 * Compiled by bpf/inject.bpf.c and by tests/unit/test_inject_serve.c, so
 * the same rules as inject_parse.h: no libc, no loops over the input.
 */
#ifndef AGENTRACE_INJECT_SERVE_H
#define AGENTRACE_INJECT_SERVE_H

#include <agentrace/inject_parse.h>

/* inj_tp.state */
enum inj_tp_st {
	INJ_TP_LEAD = 0, /* leading OWS of the value */
	INJ_TP_FIELDS,   /* the 55 characters of the version-00 layout */
	INJ_TP_END,      /* right after the flags */
	INJ_TP_WS,       /* trailing OWS (and the CR) only */
	INJ_TP_REST,     /* a later version's further fields: anything */
	INJ_TP_BAD,
};

#define INJ_TP_LEN 55

/* The traceparent value of the current request, one byte at a time. */
struct inj_tp {
	__u8 trace_id[16];
	__u8 parent_id[8];
	__u8 flags;
	__u8 version;
	__u8 pos;   /* FIELDS: characters consumed */
	__u8 state; /* enum inj_tp_st */
	__u8 seen;  /* traceparent headers in this request */
	__u8 _pad[3];
};

/* Parser state of one server socket. */
struct inj_serve {
	struct inj_parse p;
	struct inj_tp tp;
};

/* What inj_serve__byte says. */
enum inj_srv_act {
	INJ_SRV_NONE = 0,
	INJ_SRV_HEADERS = 1, /* this byte ended a request's header block */
	INJ_SRV_DEAD = 2,    /* not (or no longer) HTTP/1.x requests */
};

INJ_INLINE int inj_tp_hex(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

INJ_INLINE void inj_tp__byte(struct inj_tp *t, __u8 c)
{
	__u8 pos = t->pos;
	int v;

	switch (t->state) {
	case INJ_TP_LEAD:
		if (c == ' ' || c == '\t')
			return;
		t->state = INJ_TP_FIELDS;
		__attribute__((fallthrough));
	case INJ_TP_FIELDS:
		t->pos = pos + 1;
		if (pos == 2 || pos == 35 || pos == 52) {
			if (c != '-')
				t->state = INJ_TP_BAD;
			return;
		}
		v = inj_tp_hex(c);
		if (v < 0 || pos >= INJ_TP_LEN) {
			t->state = INJ_TP_BAD;
			return;
		}
		if (pos < 2) {
			t->version = (__u8)(t->version << 4 | v);
		} else if (pos < 35) {
			__u32 d = (__u32)pos - 3;

			t->trace_id[(d >> 1) & 15] |= (__u8)(v << ((d & 1) ? 0 : 4));
		} else if (pos < 52) {
			__u32 d = (__u32)pos - 36;

			t->parent_id[(d >> 1) & 7] |= (__u8)(v << ((d & 1) ? 0 : 4));
		} else {
			t->flags = (__u8)(t->flags << 4 | v);
		}
		if (pos == 1 && t->version == 0xff)
			t->state = INJ_TP_BAD;
		if (pos == INJ_TP_LEN - 1)
			t->state = INJ_TP_END;
		return;
	case INJ_TP_END:
		if (c == ' ' || c == '\t' || c == '\r')
			t->state = INJ_TP_WS;
		else if (c == '-' && t->version)
			t->state = INJ_TP_REST;
		else
			t->state = INJ_TP_BAD;
		return;
	case INJ_TP_WS:
		if (c != ' ' && c != '\t' && c != '\r')
			t->state = INJ_TP_BAD;
		return;
	default:
		return;
	}
}

INJ_INLINE int inj_tp_nonzero(const __u8 *b, int n)
{
	__u8 acc = 0;

	for (int i = 0; i < n; i++)
		acc |= b[i];
	return acc != 0;
}

/* The request carried exactly one valid traceparent. */
INJ_INLINE int inj_tp__valid(const struct inj_tp *t)
{
	return t->seen == 1 &&
	       (t->state == INJ_TP_END || t->state == INJ_TP_WS || t->state == INJ_TP_REST) &&
	       inj_tp_nonzero(t->trace_id, 16) && inj_tp_nonzero(t->parent_id, 8);
}

/* Feeds one non-skippable byte (inj_parse__skippable(&s->p) is 0) of the
 * inbound stream. Returns INJ_SRV_*. */
INJ_INLINE int inj_serve__byte(struct inj_serve *s, __u8 c)
{
	__u8 before = s->p.state;
	int act;

	if (before == INJ_ST_START)
		__builtin_memset(&s->tp, 0, sizeof(s->tp));
	else if (before == INJ_ST_VALUE && c != '\n' && (s->p.cand & (1u << INJ_H_TRACEPARENT)))
		inj_tp__byte(&s->tp, c);
	act = inj_parse__byte(&s->p, c);
	if (before == INJ_ST_NAME && s->p.state == INJ_ST_VALUE &&
	    (s->p.cand & (1u << INJ_H_TRACEPARENT)) && s->tp.seen < 255)
		s->tp.seen++;
	/* the LF of the blank line: also for a tunnel, whose parser is now DEAD */
	if (c == '\n' && (before == INJ_ST_BLANK_CR || before == INJ_ST_LINE_START))
		return INJ_SRV_HEADERS;
	return act == INJ_ACT_DEAD ? INJ_SRV_DEAD : INJ_SRV_NONE;
}

#endif /* AGENTRACE_INJECT_SERVE_H */
