// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sse.h"

#define SSE_DEF_MAX_LINE (64u << 10)
#define SSE_DEF_MAX_DATA (1u << 20)
#define SSE_NAME_MAX 128 /* event: and id: values; longer ones are dropped */

struct sse {
	sse_event_fn fn;
	void *ctx;
	size_t max_line, max_data;

	/* a line split across feeds; complete lines are parsed in place */
	char *line;
	size_t line_len;
	bool dropping;   /* the current line is over max_line: skip to EOL */
	bool skip_lf;    /* last byte was CR: a following LF ends nothing */
	bool started;    /* BOM check done */
	uint8_t bom;     /* BOM bytes matched so far (it may arrive split) */

	/* the event being assembled */
	char *data;
	size_t data_len, data_cap;
	bool bad;        /* a line of this event was dropped */
	bool pending;    /* some field or line seen since the last dispatch */
	char event[SSE_NAME_MAX];
	size_t event_len;
	char id[SSE_NAME_MAX];
	size_t id_len;

	struct sse_stats st;
};

struct sse *sse__new(size_t max_line, size_t max_data, sse_event_fn fn, void *ctx)
{
	struct sse *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->fn = fn;
	p->ctx = ctx;
	p->max_line = max_line ? max_line : SSE_DEF_MAX_LINE;
	p->max_data = max_data ? max_data : SSE_DEF_MAX_DATA;
	return p;
}

void sse__free(struct sse *p)
{
	if (!p)
		return;
	free(p->line);
	free(p->data);
	free(p);
}

void sse__stats(const struct sse *p, struct sse_stats *out)
{
	*out = p->st;
}

static void sse__reset_event(struct sse *p)
{
	p->data_len = 0;
	p->event_len = 0;
	p->bad = false;
	p->pending = false;
}

/* Appends value + '\n' to the data buffer; marks the event bad when it
 * would pass max_data or memory runs out. */
static void sse__append_data(struct sse *p, const char *v, size_t n)
{
	size_t need = p->data_len + n + 2; /* '\n' and the NUL for dispatch */

	if (p->bad)
		return;
	if (need - 1 > p->max_data) {
		p->bad = true;
		return;
	}
	if (need > p->data_cap) {
		size_t cap = p->data_cap ? p->data_cap : 256;
		char *d;

		while (cap < need)
			cap *= 2;
		d = realloc(p->data, cap);
		if (!d) {
			p->bad = true;
			return;
		}
		p->data = d;
		p->data_cap = cap;
	}
	memcpy(p->data + p->data_len, v, n);
	p->data_len += n;
	p->data[p->data_len++] = '\n';
}

static int sse__dispatch(struct sse *p)
{
	struct sse_event ev;
	int ret;

	if (p->bad) {
		p->st.dropped_events++;
		sse__reset_event(p);
		return 0;
	}
	if (p->data_len == 0) { /* no data field: nothing to dispatch */
		sse__reset_event(p);
		return 0;
	}
	p->data[--p->data_len] = '\0'; /* drop the last '\n' */
	ev.event = p->event_len ? p->event : "message";
	ev.event_len = p->event_len ? p->event_len : 7;
	ev.data = p->data;
	ev.data_len = p->data_len;
	ev.id = p->id;
	ev.id_len = p->id_len;
	p->st.events++;
	ret = p->fn ? p->fn(p->ctx, &ev) : 0;
	sse__reset_event(p);
	return ret < 0 ? ret : 0;
}

static int sse__line(struct sse *p, const char *l, size_t n)
{
	const char *colon, *v;
	size_t flen, vlen;

	if (n == 0)
		return sse__dispatch(p);
	if (l[0] == ':') {
		p->st.comments++;
		return 0;
	}
	p->pending = true;
	colon = memchr(l, ':', n);
	if (colon) {
		flen = colon - l;
		v = colon + 1;
		vlen = n - flen - 1;
		if (vlen && *v == ' ') {
			v++;
			vlen--;
		}
	} else {
		flen = n;
		v = l + n;
		vlen = 0;
	}
	if (flen == 4 && memcmp(l, "data", 4) == 0) {
		sse__append_data(p, v, vlen);
	} else if (flen == 5 && memcmp(l, "event", 5) == 0) {
		if (vlen >= SSE_NAME_MAX) {
			p->bad = true;
			return 0;
		}
		memcpy(p->event, v, vlen);
		p->event[vlen] = '\0';
		p->event_len = vlen;
	} else if (flen == 2 && memcmp(l, "id", 2) == 0) {
		/* the spec ignores ids containing NUL; we also ignore huge ones */
		if (vlen < SSE_NAME_MAX && !memchr(v, '\0', vlen)) {
			memcpy(p->id, v, vlen);
			p->id[vlen] = '\0';
			p->id_len = vlen;
		}
	}
	/* retry: and unknown fields are ignored */
	return 0;
}

/* Buffers a partial line; an over-long one switches to dropping mode. */
static int sse__buffer(struct sse *p, const char *s, size_t n)
{
	if (p->dropping)
		return 0;
	if (p->line_len + n > p->max_line) {
		p->dropping = true;
		p->line_len = 0;
		p->st.dropped_lines++;
		p->bad = true;
		p->pending = true;
		return 0;
	}
	if (!p->line) {
		p->line = malloc(p->max_line ? p->max_line : 1);
		if (!p->line)
			return -ENOMEM;
	}
	memcpy(p->line + p->line_len, s, n);
	p->line_len += n;
	return 0;
}

static const char BOM[3] = "\xEF\xBB\xBF";

/* Skips a leading UTF-8 BOM, even one split across feeds (found by
 * fuzz_split): *i is where the stream proper starts. A BOM prefix that
 * turns out not to be one is data, and is fed as such. */
static int bom_skip(struct sse *p, const char *buf, size_t len, size_t *i)
{
	size_t k;

	while (*i < len && p->bom < 3 && buf[*i] == BOM[p->bom]) {
		p->bom++;
		(*i)++;
	}
	if (p->bom < 3 && *i == len)
		return 0; /* all of it may still be a BOM */
	p->started = true;
	if (p->bom == 3)
		return 0;
	k = p->bom;
	p->bom = 0;
	return k ? sse__feed(p, BOM, k) : 0;
}

/* Length of the line at s (up to its CR or LF), or n when none ends in
 * s[0..n). memchr, not a byte loop: streams are mostly long data lines. */
static size_t line_end(const char *s, size_t n)
{
	const char *lf = memchr(s, '\n', n);
	const char *cr = memchr(s, '\r', lf ? (size_t)(lf - s) : n);

	return cr ? (size_t)(cr - s) : lf ? (size_t)(lf - s) : n;
}

int sse__feed(struct sse *p, const char *buf, size_t len)
{
	size_t i = 0;
	int err;

	if (!p->started) {
		err = bom_skip(p, buf, len, &i);
		if (err || !p->started)
			return err;
	}
	while (i < len) {
		const char *s = buf + i;
		size_t rem = len - i, j;

		if (p->skip_lf) {
			p->skip_lf = false;
			if (*s == '\n') {
				i++;
				continue;
			}
		}
		j = line_end(s, rem);
		if (j == rem) {
			err = sse__buffer(p, s, rem);
			if (err)
				return err;
			break;
		}
		p->skip_lf = s[j] == '\r';
		i += j + 1;
		if (p->dropping) {
			p->dropping = false;
			continue;
		}
		if (p->line_len == 0) {
			if (j > p->max_line) {
				p->st.dropped_lines++;
				p->bad = true;
				p->pending = true;
				continue;
			}
			err = sse__line(p, s, j);
		} else {
			err = sse__buffer(p, s, j);
			if (err)
				return err;
			if (p->dropping) {
				p->dropping = false;
				continue;
			}
			err = sse__line(p, p->line, p->line_len);
			p->line_len = 0;
		}
		if (err)
			return err;
	}
	return 0;
}

int sse__finish(struct sse *p)
{
	if (!p->started && p->bom) {
		size_t k = p->bom;

		p->started = true;
		p->bom = 0;
		sse__feed(p, BOM, k);
	}
	int discarded = p->line_len || p->dropping || p->pending || p->data_len;

	if (discarded)
		p->st.unterminated++;
	p->line_len = 0;
	p->dropping = false;
	p->skip_lf = false;
	p->started = false;
	p->id_len = 0;
	sse__reset_event(p);
	return discarded ? 1 : 0;
}
