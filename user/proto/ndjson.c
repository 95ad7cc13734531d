// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ndjson.h"

#define NDJSON_DEF_MAX_LINE (1u << 20)

struct ndjson {
	ndjson_line_fn fn;
	void *ctx;
	size_t max_line;
	char *line;      /* a line split across feeds */
	size_t line_len;
	bool dropping;   /* current line is over max_line: skip to LF */
	struct ndjson_stats st;
};

struct ndjson *ndjson__new(size_t max_line, ndjson_line_fn fn, void *ctx)
{
	struct ndjson *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->fn = fn;
	p->ctx = ctx;
	p->max_line = max_line ? max_line : NDJSON_DEF_MAX_LINE;
	return p;
}

void ndjson__free(struct ndjson *p)
{
	if (!p)
		return;
	free(p->line);
	free(p);
}

void ndjson__stats(const struct ndjson *p, struct ndjson_stats *out)
{
	*out = p->st;
}

/* Delivers one line without its CR; blank (whitespace-only) lines are
 * skipped. */
static int ndjson__emit(struct ndjson *p, const char *l, size_t n)
{
	size_t k;
	int ret;

	if (n && l[n - 1] == '\r')
		n--;
	for (k = 0; k < n; k++)
		if (l[k] != ' ' && l[k] != '\t' && l[k] != '\r')
			break;
	if (k == n)
		return 0;
	p->st.lines++;
	ret = p->fn ? p->fn(p->ctx, l, n) : 0;
	return ret < 0 ? ret : 0;
}

static int ndjson__buffer(struct ndjson *p, const char *s, size_t n)
{
	if (p->dropping)
		return 0;
	if (p->line_len + n > p->max_line) {
		p->dropping = true;
		p->line_len = 0;
		p->st.dropped_lines++;
		return 0;
	}
	if (!p->line) {
		p->line = malloc(p->max_line);
		if (!p->line)
			return -ENOMEM;
	}
	memcpy(p->line + p->line_len, s, n);
	p->line_len += n;
	return 0;
}

int ndjson__feed(struct ndjson *p, const char *buf, size_t len)
{
	size_t i = 0;
	int err;

	while (i < len) {
		const char *s = buf + i;
		const char *nl = memchr(s, '\n', len - i);
		size_t j;

		if (!nl)
			return ndjson__buffer(p, s, len - i);
		j = nl - s;
		i += j + 1;
		if (p->dropping) {
			p->dropping = false;
			continue;
		}
		if (p->line_len == 0) {
			if (j > p->max_line) {
				p->st.dropped_lines++;
				continue;
			}
			err = ndjson__emit(p, s, j);
		} else {
			err = ndjson__buffer(p, s, j);
			if (err)
				return err;
			if (p->dropping) {
				p->dropping = false;
				continue;
			}
			err = ndjson__emit(p, p->line, p->line_len);
			p->line_len = 0;
		}
		if (err)
			return err;
	}
	return 0;
}

int ndjson__finish(struct ndjson *p)
{
	int err = 0;

	if (p->line_len && !p->dropping) {
		p->st.unterminated++;
		err = ndjson__emit(p, p->line, p->line_len);
	}
	p->line_len = 0;
	p->dropping = false;
	return err;
}
