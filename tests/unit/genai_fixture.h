/* SPDX-License-Identifier: MIT */
/*
 * Test helper for the gen_ai suites: loads a fixture case
 * (tests/fixtures/genai/<provider>/<case>/{request.json,response.body,
 * meta.json,expected.json}), builds the http_exchange the HTTP stage would
 * hand over, and checks a span against expected.json exactly: every
 * expected attribute with its type and value, and no other attribute.
 */
#ifndef AR_TEST_GENAI_FIXTURE_H
#define AR_TEST_GENAI_FIXTURE_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "slurp.h"
#include "conn/stream.h"
#include "genai/genai.h"
#include "proto/http_types.h"
#include "trace/span.h"

#define FX_MAX_HDRS 16

struct fx {
	json_t *meta, *expected;
	char *req, *resp;
	size_t req_len, resp_len;
	struct header_view hdrs[FX_MAX_HDRS];
	struct conn_meta conn;
	struct http_exchange x;
	bool capture;
};

/* Fixture root from this header's path: tests/unit/.. + fixtures/genai */
static inline void fx_path(char *out, size_t n, const char *cas, const char *file)
{
	const char *me = __FILE__;
	const char *slash = strrchr(me, '/');
	int dir = slash ? (int)(slash - me) : 0;

	snprintf(out, n, "%.*s%s../fixtures/genai/%s/%s", dir, me, dir ? "/" : "", cas, file);
}

static inline void fx_load(struct fx *f, const char *cas)
{
	char p[512];
	json_t *m, *h, *c, *ts;
	size_t i;

	memset(f, 0, sizeof(*f));
	fx_path(p, sizeof(p), cas, "request.json");
	f->req = test_slurp(p, &f->req_len);
	fx_path(p, sizeof(p), cas, "response.body");
	f->resp = test_slurp(p, &f->resp_len);
	fx_path(p, sizeof(p), cas, "meta.json");
	f->meta = m = json_load_file(p, 0, NULL);
	cr_assert_not_null(m, "bad %s", p);
	fx_path(p, sizeof(p), cas, "expected.json");
	f->expected = json_load_file(p, 0, NULL);
	cr_assert_not_null(f->expected, "bad %s", p);

	f->capture = json_is_true(json_object_get(m, "capture"));
	f->x.method = json_string_value(json_object_get(m, "method"));
	f->x.target = json_string_value(json_object_get(m, "target"));
	f->x.host = json_string_value(json_object_get(m, "host"));
	f->x.status = json_integer_value(json_object_get(m, "status"));
	f->x.resp_complete = json_is_true(json_object_get(m, "resp_complete"));
	json_array_foreach(json_object_get(m, "req_headers"), i, h) {
		cr_assert_lt(i, FX_MAX_HDRS);
		f->hdrs[i].name = json_string_value(json_array_get(h, 0));
		f->hdrs[i].name_len = strlen(f->hdrs[i].name);
		f->hdrs[i].value = json_string_value(json_array_get(h, 1));
		f->hdrs[i].value_len = strlen(f->hdrs[i].value);
		f->x.req.n_headers = i + 1;
	}
	f->x.req.headers = f->hdrs;
	f->x.req.body = (const uint8_t *)f->req;
	f->x.req.body_len = f->req_len;
	f->x.req.content_type = "application/json";
	f->x.resp.body = (const uint8_t *)f->resp;
	f->x.resp.body_len = f->resp_len;
	f->x.resp.content_type = json_string_value(json_object_get(m, "content_type"));
	ts = json_object_get(m, "ts");
	f->x.req.ts_first = json_integer_value(json_object_get(ts, "req_first"));
	f->x.req.ts_last = json_integer_value(json_object_get(ts, "req_last"));
	f->x.resp.ts_first = json_integer_value(json_object_get(ts, "resp_first"));
	f->x.resp.ts_first_body = json_integer_value(json_object_get(ts, "resp_first_body"));
	f->x.resp.ts_last = json_integer_value(json_object_get(ts, "resp_last"));
	f->x.req.tid = 4321;
	c = json_object_get(m, "conn");
	if (c) {
		const char *da = json_string_value(json_object_get(c, "daddr"));

		f->conn.conn_id = json_integer_value(json_object_get(c, "conn_id"));
		f->conn.tgid = json_integer_value(json_object_get(c, "tgid"));
		f->conn.is_tls = json_is_true(json_object_get(c, "is_tls"));
		f->conn.role = 1;
		f->conn.has_tuple = true;
		f->conn.tuple.family = strchr(da, ':') ? AF_INET6 : AF_INET;
		inet_pton(f->conn.tuple.family, da, f->conn.tuple.daddr);
		f->conn.tuple.dport = json_integer_value(json_object_get(c, "dport"));
		f->x.conn = &f->conn;
	}
}

static inline void fx_free(struct fx *f)
{
	json_decref(f->meta);
	json_decref(f->expected);
	free(f->req);
	free(f->resp);
}

static inline void fx_check_attr(const struct attr_list *l, const char *key, json_t *want,
				 const char *where)
{
	const struct attr *a = attrs__get(l, key);
	size_t i;

	cr_assert_not_null(a, "%s: missing attribute %s", where, key);
	if (json_is_string(want)) {
		cr_assert_eq(a->type, ATTR_STR, "%s: %s not a string", where, key);
		cr_assert_str_eq(a->s, json_string_value(want), "%s: %s", where, key);
	} else if (json_is_boolean(want)) {
		cr_assert_eq(a->type, ATTR_BOOL, "%s: %s not a bool", where, key);
		cr_assert_eq(a->b, json_is_true(want), "%s: %s", where, key);
	} else if (json_is_integer(want)) {
		cr_assert_eq(a->type, ATTR_INT, "%s: %s not an int", where, key);
		cr_assert_eq(a->i, json_integer_value(want), "%s: %s = %lld", where, key,
			     (long long)a->i);
	} else if (json_is_real(want)) {
		cr_assert_eq(a->type, ATTR_DOUBLE, "%s: %s not a double", where, key);
		cr_assert(fabs(a->d - json_real_value(want)) < 1e-9, "%s: %s = %g", where, key,
			  a->d);
	} else if (json_is_array(want)) {
		cr_assert_eq(a->type, ATTR_STR_ARRAY, "%s: %s not a string array", where, key);
		cr_assert_eq(a->arr.n, json_array_size(want), "%s: %s length", where, key);
		for (i = 0; i < a->arr.n; i++)
			cr_assert_str_eq(a->arr.v[i], json_string_value(json_array_get(want, i)),
					 "%s: %s[%zu]", where, key, i);
	}
}

static inline void fx_check_attrs(const struct attr_list *l, json_t *want, const char *where)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(want, key, v)
		fx_check_attr(l, key, v, where);
	for (i = 0; i < l->n; i++)
		cr_assert_not_null(json_object_get(want, l->v[i].key),
				   "%s: unexpected attribute %s", where, l->v[i].key);
}

/* No request header that carries a secret may show up anywhere. */
static inline void fx_check_no_secrets(const struct fx *f, const struct span *s)
{
	static const char *const secret[] = { "authorization", "x-api-key", "api-key",
					      "x-goog-api-key", "cookie" };
	size_t i, k, e, j;

	for (i = 0; i < f->x.req.n_headers; i++) {
		const struct header_view *h = &f->hdrs[i];
		bool sensitive = false;

		for (k = 0; k < sizeof(secret) / sizeof(secret[0]); k++)
			if (strcasecmp(h->name, secret[k]) == 0)
				sensitive = true;
		if (!sensitive)
			continue;
		for (e = 0; e <= s->n_events; e++) {
			const struct attr_list *l = e ? &s->events[e - 1].attrs : &s->attrs;

			for (j = 0; j < l->n; j++)
				if (l->v[j].type == ATTR_STR)
					cr_assert_null(strstr(l->v[j].s, h->value),
						       "secret leaked in %s", l->v[j].key);
		}
		cr_assert_null(strstr(s->name, h->value));
	}
}

static inline void fx_check_span(const struct fx *f, const struct span *s, const char *cas)
{
	json_t *ex = f->expected, *evs, *ev, *v;
	const char *st = json_string_value(json_object_get(ex, "status"));
	size_t i;

	cr_assert_not_null(s, "%s: no span", cas);
	cr_assert_str_eq(s->name, json_string_value(json_object_get(ex, "name")), "%s: name", cas);
	cr_assert_eq(s->kind, SPAN_KIND_CLIENT, "%s: kind", cas);
	if (st && strcmp(st, "error") == 0)
		cr_assert_eq(s->status, SPAN_STATUS_ERROR, "%s: status", cas);
	else
		cr_assert_eq(s->status, SPAN_STATUS_UNSET, "%s: status", cas);
	if ((v = json_object_get(ex, "start_ns")))
		cr_assert_eq(s->start_ns, (uint64_t)json_integer_value(v), "%s: start", cas);
	if ((v = json_object_get(ex, "end_ns")))
		cr_assert_eq(s->end_ns, (uint64_t)json_integer_value(v), "%s: end", cas);
	cr_assert_eq(s->tid, 4321u);
	if (f->x.conn) {
		cr_assert_eq(s->conn_id, f->conn.conn_id);
		cr_assert_eq(s->proc.pid, f->conn.tgid);
	}
	fx_check_attrs(&s->attrs, json_object_get(ex, "attrs"), cas);
	evs = json_object_get(ex, "events");
	cr_assert_eq(s->n_events, json_array_size(evs), "%s: %zu events", cas, s->n_events);
	json_array_foreach(evs, i, ev) {
		cr_assert_str_eq(s->events[i].name, json_string_value(json_object_get(ev, "name")));
		cr_assert_eq(s->events[i].time_ns, s->end_ns);
		fx_check_attrs(&s->events[i].attrs, json_object_get(ev, "attrs"), cas);
	}
	fx_check_no_secrets(f, s);
}

/* Runs one case end to end; returns the genai stats for extra checks. */
static inline struct genai_stats fx_run(const char *cas)
{
	struct genai_cfg cfg = { 0 };
	struct genai_stats st;
	struct genai *g;
	struct span *s;
	struct fx f;

	fx_load(&f, cas);
	cfg.capture_content = f.capture;
	g = genai__new(&cfg);
	cr_assert_not_null(g);
	s = genai__span_from_exchange(g, &f.x, 0);
	fx_check_span(&f, s, cas);
	genai__stats(g, &st);
	cr_assert_eq(st.calls, 1);
	span__free(s);
	genai__free(g);
	fx_free(&f);
	return st;
}

#endif
