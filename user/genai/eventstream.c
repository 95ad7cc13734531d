// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "genai/eventstream.h"

struct eventstream {
	eventstream_fn fn;
	void *ctx;
	size_t max_msg;
	uint8_t *buf;      /* the current frame from its first byte */
	size_t len, cap;
	size_t total;      /* current frame's length once its prelude checked */
	size_t skip;       /* bytes of an oversize frame still to skip */
	bool resyncing;    /* inside a run of bad preludes (counted once) */
	struct eventstream_stats st;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t crc(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

struct eventstream *eventstream__new(size_t max_message, eventstream_fn fn, void *ctx)
{
	struct eventstream *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (!max_message || max_message > EVENTSTREAM_MAX_MESSAGE)
		max_message = EVENTSTREAM_MAX_MESSAGE;
	if (max_message < EVENTSTREAM_MIN_MESSAGE)
		max_message = EVENTSTREAM_MIN_MESSAGE;
	p->max_msg = max_message;
	p->fn = fn;
	p->ctx = ctx;
	return p;
}

void eventstream__free(struct eventstream *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}

/* Grows buf to hold want bytes (want <= max_msg). */
static int reserve(struct eventstream *p, size_t want)
{
	size_t nc = p->cap ? p->cap : 256;
	uint8_t *nb;

	if (want <= p->cap)
		return 0;
	while (nc < want)
		nc *= 2;
	if (nc > p->max_msg)
		nc = p->max_msg;
	nb = realloc(p->buf, nc);
	if (!nb)
		return -ENOMEM;
	p->buf = nb;
	p->cap = nc;
	return 0;
}

/* Walks the header block; fills the string headers we use. Returns false
 * when a header runs past the block or has an unknown type. */
static bool parse_headers(const uint8_t *h, size_t n, struct eventstream_msg *m)
{
	static const uint8_t fixed[] = { 0, 0, 1, 2, 4, 8, 0, 0, 8, 16 };
	size_t i = 0;

	while (i < n) {
		size_t nl = h[i++], vl;
		const char *name = (const char *)h + i;
		uint8_t type;

		if (!nl || i + nl + 1 > n)
			return false;
		i += nl;
		type = h[i++];
		if (type > 9)
			return false;
		if (type == 6 || type == 7) {
			if (i + 2 > n)
				return false;
			vl = (size_t)h[i] << 8 | h[i + 1];
			i += 2;
		} else {
			vl = fixed[type];
		}
		if (i + vl > n)
			return false;
		m->n_headers++;
		if (type == 7) {
			const char *v = (const char *)h + i;

			if (nl == 11 && memcmp(name, ":event-type", 11) == 0) {
				m->event_type = v;
				m->event_type_len = vl;
			} else if (nl == 13 && memcmp(name, ":message-type", 13) == 0) {
				m->message_type = v;
				m->message_type_len = vl;
			} else if (nl == 15 && memcmp(name, ":exception-type", 15) == 0) {
				m->exception_type = v;
				m->exception_type_len = vl;
			} else if (nl == 11 && memcmp(name, ":error-code", 11) == 0) {
				m->error_code = v;
				m->error_code_len = vl;
			}
		}
		i += vl;
	}
	return true;
}

/* A whole frame of p->total bytes is in buf: check and deliver it. */
static int deliver(struct eventstream *p)
{
	const uint8_t *b = p->buf;
	size_t total = p->total, hl = be32(b + 4);
	struct eventstream_msg m = { 0 };

	if (crc(b, total - 4) != be32(b + total - 4)) {
		p->st.crc_errors++;
		return 0;
	}
	if (!parse_headers(b + EVENTSTREAM_PRELUDE, hl, &m)) {
		p->st.bad_headers++;
		return 0;
	}
	m.payload = b + EVENTSTREAM_PRELUDE + hl;
	m.payload_len = total - EVENTSTREAM_MIN_MESSAGE - hl;
	p->st.messages++;
	return p->fn(p->ctx, &m);
}

/* The 12 prelude bytes are in buf: accept them, skip an oversize frame,
 * or drop one byte to resynchronise. */
static int check_prelude(struct eventstream *p)
{
	uint32_t total = be32(p->buf), hl = be32(p->buf + 4);

	if (crc(p->buf, 8) != be32(p->buf + 8) || total < EVENTSTREAM_MIN_MESSAGE ||
	    hl > total - EVENTSTREAM_MIN_MESSAGE) {
		if (!p->resyncing)
			p->st.bad_preludes++;
		p->resyncing = true;
		memmove(p->buf, p->buf + 1, EVENTSTREAM_PRELUDE - 1);
		p->len = EVENTSTREAM_PRELUDE - 1;
		return 0;
	}
	p->resyncing = false;
	if (total > p->max_msg) {
		p->st.oversize++;
		p->skip = total - EVENTSTREAM_PRELUDE;
		p->len = 0;
		return 0;
	}
	p->total = total;
	return 0;
}

int eventstream__feed(struct eventstream *p, const void *data, size_t len)
{
	const uint8_t *in = data;
	int err;

	while (len) {
		size_t take;

		if (p->skip) {
			take = len < p->skip ? len : p->skip;
			p->skip -= take;
			in += take;
			len -= take;
			continue;
		}
		if (p->len < EVENTSTREAM_PRELUDE) {
			if (reserve(p, EVENTSTREAM_PRELUDE))
				return -ENOMEM;
			take = EVENTSTREAM_PRELUDE - p->len;
			take = len < take ? len : take;
			memcpy(p->buf + p->len, in, take);
			p->len += take;
			in += take;
			len -= take;
			p->total = 0;
			if (p->len == EVENTSTREAM_PRELUDE)
				check_prelude(p);
			continue;
		}
		take = p->total - p->len;
		take = len < take ? len : take;
		if (reserve(p, p->len + take)) {
			p->skip = p->total - p->len;
			p->len = 0;
			return -ENOMEM;
		}
		memcpy(p->buf + p->len, in, take);
		p->len += take;
		in += take;
		len -= take;
		if (p->len == p->total) {
			p->len = 0;
			err = deliver(p);
			if (err)
				return err;
		}
	}
	return 0;
}

int eventstream__finish(struct eventstream *p)
{
	bool partial = p->len || p->skip;

	if (partial)
		p->st.unterminated++;
	p->len = 0;
	p->skip = 0;
	p->total = 0;
	p->resyncing = false;
	return partial;
}

void eventstream__stats(const struct eventstream *p, struct eventstream_stats *out)
{
	*out = p->st;
}

uint64_t eventstream__errors(const struct eventstream_stats *st)
{
	return st->bad_preludes + st->crc_errors + st->bad_headers + st->oversize +
	       st->unterminated;
}
