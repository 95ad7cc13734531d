/* SPDX-License-Identifier: MIT */
/*
 * Test helper for the tools suites: loads a case from tests/fixtures/mcp/
 * (request.http and response.http as on the wire, bodies de-chunked;
 * expected.json), builds the http_exchange the HTTP stage would hand
 * over, and compares spans exactly.
 */
#ifndef AR_TEST_TOOLS_FIXTURE_H
#define AR_TEST_TOOLS_FIXTURE_H

#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurp.h"
#include "conn/stream.h"
#include "proto/http_types.h"
#include "tools/tools.h"
#include "trace/span.h"

#define TFX_MAX_HDRS 24
#define TFX_MONO_TO_REAL 1000000000000000000ull
#define TFX_SECRET "sk-mcp-fixture-SECRET-42"

struct tfx_msg {
	char *raw;
	size_t raw_len;
	char line[512];            /* request or status line */
	struct header_view hdrs[TFX_MAX_HDRS];
	char ctype[96];
};

struct tfx {
	struct tfx_msg rq, rs;
	char method[16], target[256], host[128];
	struct conn_meta conn;
	struct http_exchange x;
	json_t *expected;
	bool capture;
};

static inline void tfx_path(char *out, size_t n, const char *cas, const char *file)
{
	const char *me = __FILE__, *slash = strrchr(me, '/');
	int dir = slash ? (int)(slash - me) : 0;

	snprintf(out, n, "%.*s%s../fixtures/mcp/%s/%s", dir, me, dir ? "/" : "", cas, file);
}

/* Splits a raw HTTP/1.1 message into line, headers and body (in place). */
static inline void tfx_parse(struct tfx_msg *m, struct http_message *hm)
{
	char *p = m->raw, *end = strstr(m->raw, "\r\n\r\n"), *eol;
	size_t n = 0;

	cr_assert_not_null(end, "no header end");
	eol = strstr(p, "\r\n");
	snprintf(m->line, sizeof(m->line), "%.*s", (int)(eol - p), p);
	p = eol + 2;
	while (p < end) {
		char *colon;

		eol = strstr(p, "\r\n");
		colon = memchr(p, ':', eol - p);
		cr_assert_not_null(colon);
		cr_assert_lt(n, TFX_MAX_HDRS);
		m->hdrs[n].name = p;
		m->hdrs[n].name_len = colon - p;
		colon++;
		while (*colon == ' ')
			colon++;
		m->hdrs[n].value = colon;
		m->hdrs[n].value_len = eol - colon;
		n++;
		p = eol + 2;
	}
	hm->headers = m->hdrs;
	hm->n_headers = n;
	hm->body = (const uint8_t *)end + 4;
	hm->body_len = m->raw_len - (end + 4 - m->raw);
	hm->content_type = "";
	{
		const struct header_view *ct = http_message__header(hm, "content-type", 0);

		if (ct) {
			size_t i, k = 0;

			for (i = 0; i < ct->value_len && ct->value[i] != ';'; i++)
				if (ct->value[i] != ' ' && k + 1 < sizeof(m->ctype))
					m->ctype[k++] = (char)tolower((unsigned char)ct->value[i]);
			m->ctype[k] = '\0';
			hm->content_type = m->ctype;
		}
	}
}

static inline void tfx_load(struct tfx *f, const char *cas)
{
	char p[512];
	const struct header_view *h;

	memset(f, 0, sizeof(*f));
	tfx_path(p, sizeof(p), cas, "request.http");
	f->rq.raw = test_slurp(p, &f->rq.raw_len);
	tfx_path(p, sizeof(p), cas, "response.http");
	f->rs.raw = test_slurp(p, &f->rs.raw_len);
	tfx_path(p, sizeof(p), cas, "expected.json");
	f->expected = json_load_file(p, 0, NULL);
	cr_assert_not_null(f->expected, "bad %s", p);
	f->capture = json_is_true(json_object_get(f->expected, "capture"));

	tfx_parse(&f->rq, &f->x.req);
	tfx_parse(&f->rs, &f->x.resp);
	cr_assert_eq(sscanf(f->rq.line, "%15s %255s", f->method, f->target), 2);
	f->x.method = f->method;
	f->x.target = f->target;
	h = http_message__header(&f->x.req, "host", 0);
	if (h)
		snprintf(f->host, sizeof(f->host), "%.*s", (int)h->value_len, h->value);
	f->x.host = f->host;
	cr_assert_eq(sscanf(f->rs.line, "HTTP/1.1 %d", &f->x.status), 1);
	f->x.resp_complete = true;
	f->x.req.ts_first = 1000;
	f->x.req.ts_last = 2000;
	f->x.resp.ts_first = 3000;
	f->x.resp.ts_first_body = 3500;
	f->x.resp.ts_last = 5000;
	f->x.req.tid = 4321;
	/* TLS plaintext from an SSL* stream: no tuple, role unknown */
	f->conn.conn_id = 77;
	f->conn.tgid = 4242;
	f->conn.is_tls = true;
	f->x.conn = &f->conn;
}

static inline void tfx_free(struct tfx *f)
{
	json_decref(f->expected);
	free(f->rq.raw);
	free(f->rs.raw);
}

/* Every expected attribute with its type and value, and no other. */
static inline void tfx_check_attrs(const struct attr_list *l, json_t *want, const char *where)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(want, key, v) {
		const struct attr *a = attrs__get(l, key);

		cr_assert_not_null(a, "%s: missing attribute %s", where, key);
		if (json_is_string(v)) {
			cr_assert_eq(a->type, ATTR_STR, "%s: %s not a string", where, key);
			cr_assert_str_eq(a->s, json_string_value(v), "%s: %s", where, key);
		} else if (json_is_integer(v)) {
			cr_assert_eq(a->type, ATTR_INT, "%s: %s not an int", where, key);
			cr_assert_eq(a->i, json_integer_value(v), "%s: %s = %lld", where, key,
				     (long long)a->i);
		} else if (json_is_real(v)) {
			cr_assert_eq(a->type, ATTR_DOUBLE, "%s: %s not a double", where, key);
			cr_assert_eq(a->d, json_real_value(v), "%s: %s = %g", where, key, a->d);
		} else if (json_is_boolean(v)) {
			cr_assert_eq(a->type, ATTR_BOOL, "%s: %s not a bool", where, key);
			cr_assert_eq(a->b, json_is_true(v), "%s: %s = %d", where, key, a->b);
		} else if (json_is_array(v)) {
			cr_assert_eq(a->type, ATTR_STR_ARRAY, "%s: %s not an array", where, key);
			cr_assert_eq(a->arr.n, json_array_size(v), "%s: %s has %zu items", where,
				     key, a->arr.n);
			for (i = 0; i < a->arr.n; i++)
				cr_assert_str_eq(a->arr.v[i],
						 json_string_value(json_array_get(v, i)) ?: "",
						 "%s: %s[%zu]", where, key, i);
		} else {
			cr_assert_fail("%s: unsupported expected type for %s", where, key);
		}
	}
	for (i = 0; i < l->n; i++)
		cr_assert_not_null(json_object_get(want, l->v[i].key),
				   "%s: unexpected attribute %s", where, l->v[i].key);
}

static inline void tfx_check_no_secret(const struct span *s)
{
	size_t i;

	cr_assert_null(strstr(s->name, TFX_SECRET));
	for (i = 0; i < s->attrs.n; i++)
		if (s->attrs.v[i].type == ATTR_STR)
			cr_assert_null(strstr(s->attrs.v[i].s, TFX_SECRET), "secret in %s",
				       s->attrs.v[i].key);
	if (s->status_message)
		cr_assert_null(strstr(s->status_message, TFX_SECRET));
}

static inline void tfx_check_span(const struct tfx *f, const struct span *s, const char *cas)
{
	json_t *ex = f->expected;
	const char *st = json_string_value(json_object_get(ex, "status"));
	const char *msg = json_string_value(json_object_get(ex, "status_message"));

	cr_assert_not_null(s, "%s: no span", cas);
	cr_assert_str_eq(s->name, json_string_value(json_object_get(ex, "name")), "%s: name", cas);
	cr_assert_eq(s->kind, SPAN_KIND_CLIENT, "%s: kind", cas);
	cr_assert_eq(s->status, strcmp(st, "error") == 0 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET,
		     "%s: status", cas);
	if (msg)
		cr_assert_str_eq(s->status_message ? s->status_message : "", msg, "%s: message",
				 cas);
	else
		cr_assert_null(s->status_message, "%s: status message", cas);
	cr_assert_eq(s->start_ns, TFX_MONO_TO_REAL + 1000);
	cr_assert_eq(s->end_ns, TFX_MONO_TO_REAL + 5000);
	cr_assert_eq(s->tid, 4321u);
	cr_assert_eq(s->conn_id, 77u);
	cr_assert_eq(s->proc.pid, 4242u);
	tfx_check_attrs(&s->attrs, json_object_get(ex, "attrs"), cas);
	tfx_check_no_secret(s);
}

/* Same type and same value, for every attribute type. */
static inline bool tfx_attr_value_eq(const struct attr *x, const struct attr *y)
{
	size_t i;

	if (x->type != y->type)
		return false;
	switch (x->type) {
	case ATTR_STR:
		return strcmp(x->s, y->s) == 0;
	case ATTR_INT:
		return x->i == y->i;
	case ATTR_DOUBLE:
		return x->d == y->d;
	case ATTR_BOOL:
		return x->b == y->b;
	case ATTR_STR_ARRAY:
		if (x->arr.n != y->arr.n)
			return false;
		for (i = 0; i < x->arr.n; i++)
			if (strcmp(x->arr.v[i], y->arr.v[i]))
				return false;
		return true;
	}
	return false;
}

/* Two spans say the same thing. */
static inline void tfx_spans_equal(const struct span *a, const struct span *b, const char *where)
{
	size_t i;

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_str_eq(a->name, b->name, "%s: name", where);
	cr_assert_eq(a->kind, b->kind);
	cr_assert_eq(a->status, b->status, "%s: status", where);
	cr_assert_str_eq(a->status_message ? a->status_message : "",
			 b->status_message ? b->status_message : "");
	cr_assert_eq(a->start_ns, b->start_ns);
	cr_assert_eq(a->end_ns, b->end_ns);
	cr_assert_eq(a->attrs.n, b->attrs.n, "%s: %zu vs %zu attributes", where, a->attrs.n,
		     b->attrs.n);
	for (i = 0; i < a->attrs.n; i++) {
		const struct attr *x = &a->attrs.v[i], *y = attrs__get(&b->attrs, x->key);

		cr_assert_not_null(y, "%s: %s missing", where, x->key);
		cr_assert_eq(x->type, y->type);
		cr_assert(tfx_attr_value_eq(x, y), "%s: %s differs", where, x->key);
	}
}

#endif
