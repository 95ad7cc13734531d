/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where --inject-traceparent may insert its header into an outbound
 * HTTP/1.1 byte stream. One parser per client socket walks every byte the
 * process sends, across send calls, and answers "insert here" exactly once
 * per request: at the first byte of the blank line that ends a header
 * block with no traceparent. Body bytes (Content-Length or chunked) are
 * skipped by count, never looked at.
 *
 * Compiled twice, on purpose: by bpf/inject.bpf.c (the code that runs) and
 * by tests/unit/test_inject_parse.c (the proof of the offsets). So: no
 * libc, no loops, no pointers but the state; the caller loops.
 *
 * Anything that is not an HTTP/1.x request (TLS records, HTTP/2's "PRI *"
 * preface, responses, garbage), and anything after CONNECT or an Upgrade
 * request, turns the parser DEAD for the life of the socket: nothing is
 * injected into it again.
 */
#ifndef AGENTRACE_INJECT_PARSE_H
#define AGENTRACE_INJECT_PARSE_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#ifndef INJ_INLINE
#define INJ_INLINE static inline __attribute__((always_inline))
#endif

/* Parser states. */
enum inj_st {
	INJ_ST_START = 0,    /* before a request's first byte */
	INJ_ST_METHOD,       /* in the method token */
	INJ_ST_REQLINE,      /* rest of the request line, up to LF */
	INJ_ST_LINE_START,   /* first byte of a header line or the blank line */
	INJ_ST_NAME,         /* in a header name */
	INJ_ST_VALUE,        /* in a header value, up to LF */
	INJ_ST_BLANK_CR,     /* CR of the blank line seen, LF next */
	INJ_ST_BODY,         /* Content-Length bytes left: skipped */
	INJ_ST_CHUNK_SIZE,   /* chunk-size hex digits */
	INJ_ST_CHUNK_EXT,    /* chunk extension or CR, up to LF */
	INJ_ST_CHUNK_DATA,   /* chunk bytes and their CRLF left: skipped */
	INJ_ST_TRAILER,      /* first byte of a trailer line or the final blank line */
	INJ_ST_TRAILER_LINE, /* in a trailer line, up to LF */
	INJ_ST_DEAD,         /* not (or no longer) HTTP/1.x requests */
};

/* Headers the parser recognises (bit per header in inj_parse.cand). */
enum inj_hdr {
	INJ_H_TRACEPARENT = 0,
	INJ_H_CONTENT_LENGTH,
	INJ_H_TRANSFER_ENCODING,
	INJ_H_UPGRADE,
	INJ_H__COUNT,
};

/* inj_parse.flags: about the current request. */
#define INJ_F_HAS_TP 0x01   /* it carries a traceparent: never inject */
#define INJ_F_CHUNKED 0x02  /* Transfer-Encoding ends in chunked */
#define INJ_F_HTTP1 0x04    /* request line ends in HTTP/1.x */
#define INJ_F_TUNNEL 0x08   /* CONNECT or Upgrade: the stream stops being HTTP */
#define INJ_F_CONNECT 0x10  /* method is CONNECT */

#define INJ_MAX_METHOD 16   /* longest method token */
#define INJ_MAX_NAME 32     /* header names longer than this match nothing */
#define INJ_MAX_LEN (1ULL << 40) /* Content-Length or chunk size past this: DEAD */

/* Per-socket state; zero is a fresh connection. */
struct inj_parse {
	__u64 left;       /* BODY/CHUNK_DATA: bytes to skip; CHUNK_SIZE: the size so far */
	__u64 clen;       /* Content-Length of the current request */
	__u32 requests;   /* requests begun on this socket; the current one is requests-1 */
	__u8 state;       /* enum inj_st */
	__u8 flags;       /* INJ_F_* */
	__u8 idx;         /* bytes into the method, header name, version or value match */
	__u8 cand;        /* NAME: headers still matching; VALUE: the header (1<<h) */
	__u8 vidx;        /* VALUE of Transfer-Encoding: bytes of "chunked" matched */
	__u8 digits;      /* CHUNK_SIZE: hex digits seen */
	__u8 _pad[2];
};

/* What inj_parse__byte says about the byte it was given. */
enum inj_act {
	INJ_ACT_NONE = 0,   /* consumed */
	INJ_ACT_INSERT = 1, /* insert the header before this byte, then it is consumed */
	INJ_ACT_DEAD = 2,   /* the parser just gave up on this socket */
};

INJ_INLINE __u8 inj_lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The words the parser matches, indexed by enum inj_hdr and then
 * INJ_W_*: a fixed table, so the BPF side indexes .rodata, not strings. */
#define INJ_W_CHUNKED INJ_H__COUNT
#define INJ_W_VERSION (INJ_H__COUNT + 1)
#define INJ_W_CONNECT (INJ_H__COUNT + 2)
#define INJ_W__COUNT (INJ_H__COUNT + 3)
#define INJ_W_MAX 18
static const __u8 inj_words[INJ_W__COUNT][INJ_W_MAX] = {
	[INJ_H_TRACEPARENT] = "traceparent",
	[INJ_H_CONTENT_LENGTH] = "content-length",
	[INJ_H_TRANSFER_ENCODING] = "transfer-encoding",
	[INJ_H_UPGRADE] = "upgrade",
	[INJ_W_CHUNKED] = "chunked",
	[INJ_W_VERSION] = "HTTP/1.",
	[INJ_W_CONNECT] = "CONNECT",
};

/* Byte i of word w, or 0 past its end. */
INJ_INLINE __u8 inj_word_at(__u32 w, __u32 i)
{
	return w < INJ_W__COUNT && i < INJ_W_MAX ? inj_words[w][i] : 0;
}

INJ_INLINE int inj_dead(struct inj_parse *p)
{
	p->state = INJ_ST_DEAD;
	return INJ_ACT_DEAD;
}

/* Bytes that may be skipped unread at the current state (body bytes), 0
 * when the next byte must go through inj_parse__byte. */
INJ_INLINE __u64 inj_parse__skippable(const struct inj_parse *p)
{
	return p->state == INJ_ST_BODY || p->state == INJ_ST_CHUNK_DATA ? p->left : 0;
}

/* Consumes n <= inj_parse__skippable() body bytes. */
INJ_INLINE void inj_parse__skip(struct inj_parse *p, __u64 n)
{
	p->left -= n;
	if (p->left)
		return;
	p->state = p->state == INJ_ST_BODY ? INJ_ST_START : INJ_ST_CHUNK_SIZE;
	p->digits = 0;
}

/* The header block of the current request ended (LF of the blank line). */
INJ_INLINE int inj_headers_done(struct inj_parse *p)
{
	if (p->flags & INJ_F_TUNNEL)
		return inj_dead(p);
	if (p->flags & INJ_F_CHUNKED) {
		p->state = INJ_ST_CHUNK_SIZE;
		p->left = 0;
		p->digits = 0;
	} else if (p->clen) {
		p->state = INJ_ST_BODY;
		p->left = p->clen;
	} else {
		p->state = INJ_ST_START;
	}
	return INJ_ACT_NONE;
}

/* Header name complete (c == ':'): which recognised header it is. */
INJ_INLINE void inj_name_done(struct inj_parse *p)
{
	__u8 hit = 0;
	int h;

	for (h = 0; h < INJ_H__COUNT; h++)
		if ((p->cand & (1u << h)) && inj_word_at(h, p->idx) == 0 && inj_word_at(h, p->idx - 1))
			hit = 1u << h;
	p->cand = hit;
	p->idx = 0;
	p->vidx = 0;
	if (hit & (1u << INJ_H_TRACEPARENT))
		p->flags |= INJ_F_HAS_TP;
	if (hit & (1u << INJ_H_UPGRADE))
		p->flags |= INJ_F_TUNNEL;
	if (hit & (1u << INJ_H_CONTENT_LENGTH))
		p->clen = 0;
	if (hit & (1u << INJ_H_TRANSFER_ENCODING))
		p->flags &= ~INJ_F_CHUNKED;
	p->state = INJ_ST_VALUE;
}

INJ_INLINE int inj_value_byte(struct inj_parse *p, __u8 c)
{
	if (c == '\n') {
		if ((p->cand & (1u << INJ_H_TRANSFER_ENCODING)) && p->vidx == 7)
			p->flags |= INJ_F_CHUNKED;
		p->state = INJ_ST_LINE_START;
		return INJ_ACT_NONE;
	}
	if (p->cand & (1u << INJ_H_CONTENT_LENGTH)) {
		if (c >= '0' && c <= '9') {
			p->clen = p->clen * 10 + (c - '0');
			if (p->clen > INJ_MAX_LEN)
				return inj_dead(p);
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return inj_dead(p); /* a length we cannot read: body unknown */
		}
	} else if (p->cand & (1u << INJ_H_TRANSFER_ENCODING)) {
		/* "chunked" as the last coding: any other byte after it resets */
		if (c == ' ' || c == '\t' || c == '\r')
			return INJ_ACT_NONE;
		if (p->vidx < 7 && inj_lower(c) == inj_word_at(INJ_W_CHUNKED, p->vidx))
			p->vidx++;
		else
			p->vidx = inj_lower(c) == 'c' ? 1 : 0;
	}
	return INJ_ACT_NONE;
}

INJ_INLINE int inj_hex(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = inj_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Feeds one non-skippable byte. Returns INJ_ACT_*. */
INJ_INLINE int inj_parse__byte(struct inj_parse *p, __u8 c)
{
	int h, v;

	switch (p->state) {
	case INJ_ST_START:
		if (c < 'A' || c > 'Z')
			return inj_dead(p);
		p->requests++;
		p->flags = c == 'C' ? INJ_F_CONNECT : 0;
		p->clen = 0;
		p->idx = 1;
		p->state = INJ_ST_METHOD;
		return INJ_ACT_NONE;
	case INJ_ST_METHOD:
		if (c == ' ') {
			/* "PRI" is HTTP/2's preface; "CONNECT" opens a tunnel */
			if (p->idx == 7 && (p->flags & INJ_F_CONNECT))
				p->flags |= INJ_F_TUNNEL;
			else
				p->flags &= ~INJ_F_CONNECT;
			p->idx = 0;
			p->state = INJ_ST_REQLINE;
			return INJ_ACT_NONE;
		}
		if (c < 'A' || c > 'Z' || p->idx >= INJ_MAX_METHOD)
			return inj_dead(p);
		if (c != inj_word_at(INJ_W_CONNECT, p->idx))
			p->flags &= ~INJ_F_CONNECT;
		p->idx++;
		return INJ_ACT_NONE;
	case INJ_ST_REQLINE:
		if (c == '\n') {
			if (!(p->flags & INJ_F_HTTP1))
				return inj_dead(p); /* HTTP/0.9, HTTP/2 preface, garbage */
			p->state = INJ_ST_LINE_START;
			return INJ_ACT_NONE;
		}
		if (p->flags & INJ_F_HTTP1) {
			/* one version digit then CR: anything else is not HTTP/1.x */
			if (p->idx == 7 && c >= '0' && c <= '9')
				p->idx = 8;
			else if (c != '\r')
				p->flags &= ~INJ_F_HTTP1, p->idx = 0;
			return INJ_ACT_NONE;
		}
		if (c == inj_word_at(INJ_W_VERSION, p->idx))
			p->idx++;
		else
			p->idx = c == 'H' ? 1 : 0;
		if (p->idx == 7)
			p->flags |= INJ_F_HTTP1;
		return INJ_ACT_NONE;
	case INJ_ST_LINE_START:
		if (c == '\r' || c == '\n') {
			/* the blank line: the header block is complete */
			int act = (p->flags & (INJ_F_HAS_TP | INJ_F_TUNNEL)) ? INJ_ACT_NONE : INJ_ACT_INSERT;

			if (c == '\r')
				p->state = INJ_ST_BLANK_CR;
			else
				inj_headers_done(p);
			return act;
		}
		if (c == ' ' || c == '\t')
			return inj_dead(p); /* obsolete line folding: do not guess */
		p->cand = (1u << INJ_H__COUNT) - 1;
		p->idx = 0;
		p->state = INJ_ST_NAME;
		__attribute__((fallthrough)); /* c is the name's first byte */
	case INJ_ST_NAME:
		if (c == ':') {
			inj_name_done(p);
			return INJ_ACT_NONE;
		}
		if (c == '\r' || c == '\n')
			return inj_dead(p); /* a header line without a colon */
		for (h = 0; h < INJ_H__COUNT; h++)
			if (inj_lower(c) != inj_word_at(h, p->idx))
				p->cand &= ~(1u << h);
		if (p->idx < INJ_MAX_NAME)
			p->idx++;
		else
			p->cand = 0;
		return INJ_ACT_NONE;
	case INJ_ST_VALUE:
		return inj_value_byte(p, c);
	case INJ_ST_BLANK_CR:
		if (c != '\n')
			return inj_dead(p);
		return inj_headers_done(p);
	case INJ_ST_CHUNK_SIZE:
		v = inj_hex(c);
		if (v >= 0) {
			p->left = p->left * 16 + (__u64)v;
			p->digits = 1;
			if (p->left > INJ_MAX_LEN)
				return inj_dead(p);
			return INJ_ACT_NONE;
		}
		if (!p->digits)
			return inj_dead(p);
		p->state = INJ_ST_CHUNK_EXT;
		__attribute__((fallthrough)); /* c is ';', a space or CR */
	case INJ_ST_CHUNK_EXT:
		if (c != '\n')
			return INJ_ACT_NONE;
		if (!p->left) {
			p->state = INJ_ST_TRAILER;
			return INJ_ACT_NONE;
		}
		p->left += 2; /* the CRLF after the chunk's data */
		p->state = INJ_ST_CHUNK_DATA;
		return INJ_ACT_NONE;
	case INJ_ST_TRAILER:
		if (c == '\n')
			p->state = INJ_ST_START;
		else if (c != '\r')
			p->state = INJ_ST_TRAILER_LINE;
		return INJ_ACT_NONE;
	case INJ_ST_TRAILER_LINE:
		if (c == '\n')
			p->state = INJ_ST_TRAILER;
		return INJ_ACT_NONE;
	default:
		return INJ_ACT_DEAD;
	}
}

#endif /* AGENTRACE_INJECT_PARSE_H */
