// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trace/context.h"
#include "trace/ids.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"
#define VALID "00-" TID "-" PID "-01"

static const uint8_t want_tid[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3,
				      0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d,
				      0x0e, 0x0e, 0x47, 0x36 };
static const uint8_t want_pid[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
static const uint8_t zero[16];

static struct header_view hv(const char *name, const char *value)
{
	return (struct header_view){ name, strlen(name), value, strlen(value) };
}

static struct http_message msg(struct header_view *h, size_t n)
{
	return (struct http_message){ .headers = h, .n_headers = n, .content_type = "" };
}

/* Applies h[0..n) to a fresh span; the caller frees it. */
static struct span *apply(struct tracectx *t, struct header_view *h, size_t n)
{
	struct http_message m = msg(h, n);
	struct span *s = span__new("chat", SPAN_KIND_CLIENT);

	cr_assert_not_null(s);
	cr_assert_eq(tracectx__apply(t, s, &m), 0);
	return s;
}

static struct tracectx_stats stats(const struct tracectx *t)
{
	struct tracectx_stats st;

	tracectx__stats(t, &st);
	return st;
}

static const char *str_attr(const struct span *s, const char *key)
{
	const struct attr *a = span__get(s, key);

	if (!a)
		return NULL;
	cr_assert_eq(a->type, ATTR_STR);
	return a->s;
}

Test(tracectx_ids, nonzero_and_distinct)
{
	struct ids *g = ids__new();
	uint8_t a[16], b[16], s1[8], s2[8];

	cr_assert_not_null(g);
	/* enough draws to cross several 4 KiB refills */
	for (int i = 0; i < 2000; i++) {
		cr_assert_eq(ids__trace_id(g, a), 0);
		cr_assert_eq(ids__trace_id(g, b), 0);
		cr_assert_eq(ids__span_id(g, s1), 0);
		cr_assert_eq(ids__span_id(g, s2), 0);
		cr_assert_neq(memcmp(a, zero, 16), 0);
		cr_assert_neq(memcmp(s1, zero, 8), 0);
		cr_assert_neq(memcmp(a, b, 16), 0);
		cr_assert_neq(memcmp(s1, s2, 8), 0);
	}
	ids__free(g);
}

/* Every bit of a span id is set about half the time, across refills
 * (each from its own seed) and within one: a stuck or biased expander
 * fails here; nonzero_and_distinct alone would pass a counter. */
Test(tracectx_ids, bits_balanced)
{
	struct ids *g = ids__new();
	unsigned ones[64] = { 0 };
	const int n = 20000;

	cr_assert_not_null(g);
	for (int i = 0; i < n; i++) {
		uint8_t s[8];

		cr_assert_eq(ids__span_id(g, s), 0);
		for (int b = 0; b < 64; b++)
			ones[b] += s[b / 8] >> (b % 8) & 1;
	}
	/* mean n/2 = 10000, sigma ~71: 9500..10500 is 7 sigma */
	for (int b = 0; b < 64; b++)
		cr_assert(ones[b] > 9500 && ones[b] < 10500, "bit %d set %u of %d", b, ones[b], n);
	ids__free(g);
}

Test(tracectx_apply, new_trace_without_headers)
{
	struct tracectx *t = tracectx__new(NULL);
	struct span *s;
	struct tracectx_stats st;

	cr_assert_not_null(t);
	s = apply(t, NULL, 0);
	cr_assert_neq(memcmp(s->trace_id, zero, 16), 0);
	cr_assert_neq(memcmp(s->span_id, zero, 8), 0);
	cr_assert_eq(memcmp(s->parent_span_id, zero, 8), 0);
	cr_assert_eq(s->trace_flags, TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM);
	cr_assert_eq(s->trace_flags, 0x03);
	cr_assert_null(s->trace_state);
	cr_assert_null(span__get(s, "tenant.id"));
	st = stats(t);
	cr_assert_eq(st.new_traces, 1);
	cr_assert_eq(st.joined, 0);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_apply, null_request_is_new_trace)
{
	struct tracectx *t = tracectx__new(NULL);
	struct span *s = span__new("x", SPAN_KIND_CLIENT);

	cr_assert_eq(tracectx__apply(t, s, NULL), 0);
	cr_assert_neq(memcmp(s->trace_id, zero, 16), 0);
	cr_assert_eq(stats(t).new_traces, 1);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_apply, two_new_traces_differ)
{
	struct tracectx *t = tracectx__new(NULL);
	struct span *a = apply(t, NULL, 0), *b = apply(t, NULL, 0);

	cr_assert_neq(memcmp(a->trace_id, b->trace_id, 16), 0);
	cr_assert_neq(memcmp(a->span_id, b->span_id, 8), 0);
	span__free(a);
	span__free(b);
	tracectx__free(t);
}

Test(tracectx_apply, joins_valid_traceparent)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("Host", "api.openai.com"), hv("traceparent", VALID) };
	struct span *s = apply(t, h, 2);
	struct tracectx_stats st = stats(t);

	cr_assert_arr_eq(s->trace_id, want_tid, 16);
	cr_assert_arr_eq(s->parent_span_id, want_pid, 8);
	cr_assert_neq(memcmp(s->span_id, zero, 8), 0);
	cr_assert_neq(memcmp(s->span_id, want_pid, 8), 0);
	cr_assert_eq(s->trace_flags, 0x01);
	cr_assert_null(s->trace_state);
	cr_assert_eq(st.joined, 1);
	cr_assert_eq(st.new_traces, 0);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_apply, joined_flags_keep_only_known_bits)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h0[] = { hv("traceparent", "00-" TID "-" PID "-00") };
	struct header_view hf[] = { hv("traceparent", "00-" TID "-" PID "-ff") };
	struct header_view h2[] = { hv("traceparent", "00-" TID "-" PID "-02") };
	struct span *a = apply(t, h0, 1), *b = apply(t, hf, 1), *c = apply(t, h2, 1);

	cr_assert_eq(a->trace_flags, 0x00);
	cr_assert_eq(b->trace_flags, 0x03);
	cr_assert_eq(c->trace_flags, 0x02);
	span__free(a);
	span__free(b);
	span__free(c);
	tracectx__free(t);
}

Test(tracectx_apply, future_version_joined)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("traceparent", "cc-" TID "-" PID "-01-future") };
	struct span *s = apply(t, h, 1);

	cr_assert_arr_eq(s->trace_id, want_tid, 16);
	cr_assert_eq(stats(t).joined, 1);
	span__free(s);
	tracectx__free(t);
}

/* Each invalid traceparent starts a new trace and bumps its own reason. */
Test(tracectx_apply, invalid_traceparent_counted_by_reason)
{
	static const struct {
		const char *v;
		enum traceparent_res r;
	} cases[] = {
		{ "0g-" TID "-" PID "-01", TRACEPARENT_ERR_VERSION },
		{ "ff-" TID "-" PID "-01", TRACEPARENT_ERR_VERSION_FF },
		{ "00-" TID "-" PID "-001", TRACEPARENT_ERR_LENGTH },
		{ "00-" TID "." PID "-01", TRACEPARENT_ERR_SEPARATOR },
		{ "00-" TID "-00F067AA0BA902B7-01", TRACEPARENT_ERR_UPPERCASE },
		{ "00-" TID "-" PID "-0z", TRACEPARENT_ERR_NOT_HEX },
		{ "00-00000000000000000000000000000000-" PID "-01", TRACEPARENT_ERR_ZERO_TRACE_ID },
		{ "00-" TID "-0000000000000000-01", TRACEPARENT_ERR_ZERO_PARENT_ID },
		{ VALID "-extra", TRACEPARENT_ERR_EXTRA_DATA },
	};
	const size_t n = sizeof(cases) / sizeof(*cases);
	struct tracectx *t = tracectx__new(NULL);
	struct tracectx_stats st;

	for (size_t i = 0; i < n; i++) {
		struct header_view h[] = { hv("traceparent", cases[i].v),
					   hv("tracestate", "congo=t61rcWkgMzE") };
		struct span *s = apply(t, h, 2);

		cr_assert_neq(memcmp(s->trace_id, want_tid, 16), 0, "case %zu", i);
		cr_assert_eq(memcmp(s->parent_span_id, zero, 8), 0, "case %zu", i);
		cr_assert_null(s->trace_state, "tracestate must be ignored, case %zu", i);
		cr_assert_eq(s->trace_flags, 0x03);
		st = stats(t);
		cr_assert_eq(st.traceparent_invalid[cases[i].r], 1, "case %zu", i);
		span__free(s);
	}
	st = stats(t);
	cr_assert_eq(st.new_traces, n);
	cr_assert_eq(st.joined, 0);
	cr_assert_eq(st.traceparent_invalid[TRACEPARENT_OK], 0);
	cr_assert_eq(st.traceparent_invalid[TRACEPARENT_ABSENT], 0);
	tracectx__free(t);
}

Test(tracectx_apply, duplicate_traceparent_not_joined)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("traceparent", VALID), hv("TraceParent", VALID) };
	struct span *s = apply(t, h, 2);
	struct tracectx_stats st = stats(t);

	cr_assert_neq(memcmp(s->trace_id, want_tid, 16), 0);
	cr_assert_eq(st.traceparent_invalid[TRACEPARENT_ERR_DUPLICATE], 1);
	cr_assert_eq(st.new_traces, 1);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tracestate, kept_as_is)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("traceparent", VALID),
				   hv("tracestate", "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE") };
	struct span *s = apply(t, h, 2);

	cr_assert_str_eq(s->trace_state, "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE");
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tracestate, multiple_headers_combined)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("tracestate", "rojo=00f067aa0ba902b7"),
				   hv("traceparent", VALID), hv("TraceState", " "),
				   hv("tracestate", "congo=t61rcWkgMzE") };
	struct span *s = apply(t, h, 4);

	cr_assert_str_eq(s->trace_state, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tracestate, malformed_dropped_traceparent_kept)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h1[] = { hv("traceparent", VALID), hv("tracestate", "foo=1,foo=2") };
	struct header_view h2[] = { hv("traceparent", VALID), hv("tracestate", "Foo=1") };
	struct header_view h3[] = { hv("traceparent", VALID), hv("tracestate", "foo=1"),
				    hv("tracestate", "bar") };
	struct span *a = apply(t, h1, 2), *b = apply(t, h2, 2), *c = apply(t, h3, 3);
	struct tracectx_stats st = stats(t);

	cr_assert_arr_eq(a->trace_id, want_tid, 16);
	cr_assert_arr_eq(b->trace_id, want_tid, 16);
	cr_assert_arr_eq(c->trace_id, want_tid, 16);
	cr_assert_null(a->trace_state);
	cr_assert_null(b->trace_state);
	cr_assert_null(c->trace_state);
	cr_assert_eq(st.joined, 3);
	cr_assert_eq(st.tracestate_dropped[TRACESTATE_ERR_DUP_KEY], 1);
	cr_assert_eq(st.tracestate_dropped[TRACESTATE_ERR_KEY], 1);
	cr_assert_eq(st.tracestate_dropped[TRACESTATE_ERR_VALUE], 1);
	span__free(a);
	span__free(b);
	span__free(c);
	tracectx__free(t);
}

Test(tracectx_tracestate, limits)
{
	char many[600], big_a[300], big_b[300];
	size_t len = 0;
	struct tracectx *t = tracectx__new(NULL);

	for (int i = 0; i < 33; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "%sk%d=v", i ? "," : "", i);
	/* two headers, 256 + ',' + 256 = 513 bytes combined */
	memset(big_a, 'a', 256);
	big_a[256] = 0;
	memcpy(big_a, "a=", 2);
	memset(big_b, 'b', 256);
	big_b[256] = 0;
	memcpy(big_b, "b=", 2);
	{
		struct header_view h1[] = { hv("traceparent", VALID), hv("tracestate", many) };
		struct header_view h2[] = { hv("traceparent", VALID), hv("tracestate", big_a),
					    hv("tracestate", big_b) };
		struct span *a = apply(t, h1, 2), *b = apply(t, h2, 3);
		struct tracectx_stats st = stats(t);

		cr_assert_null(a->trace_state);
		cr_assert_null(b->trace_state);
		cr_assert_eq(st.tracestate_dropped[TRACESTATE_ERR_TOO_MANY], 1);
		cr_assert_eq(st.tracestate_dropped[TRACESTATE_ERR_TOO_LONG], 1);
		cr_assert_eq(st.joined, 2);
		span__free(a);
		span__free(b);
	}
	/* 255 + ',' + 256 = 512: kept */
	big_a[255] = 0;
	{
		struct header_view h[] = { hv("traceparent", VALID), hv("tracestate", big_a),
					   hv("tracestate", big_b) };
		struct span *s = apply(t, h, 3);

		cr_assert_not_null(s->trace_state);
		cr_assert_eq(strlen(s->trace_state), 512);
		span__free(s);
	}
	tracectx__free(t);
}

Test(tracectx_tracestate, empty_members_only_gives_null)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("traceparent", VALID), hv("tracestate", " , ,") };
	struct span *s = apply(t, h, 2);

	cr_assert_null(s->trace_state);
	cr_assert_eq(stats(t).joined, 1);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tracestate, replaces_existing_state)
{
	struct tracectx *t = tracectx__new(NULL);
	struct span *s = span__new("x", SPAN_KIND_CLIENT);
	struct header_view h[] = { hv("traceparent", VALID), hv("tracestate", "a=1") };
	struct http_message m = msg(h, 2), none = msg(NULL, 0);

	s->trace_state = strdup("old=1");
	cr_assert_eq(tracectx__apply(t, s, &m), 0);
	cr_assert_str_eq(s->trace_state, "a=1");
	cr_assert_eq(tracectx__apply(t, s, &none), 0);
	cr_assert_null(s->trace_state);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tenant, baggage_beats_header)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("X-Tenant-Id", "from-header"),
				   hv("baggage", "user=bob,tenant.id=acme%20corp") };
	struct span *s = apply(t, h, 2);
	struct tracectx_stats st = stats(t);

	cr_assert_str_eq(str_attr(s, "tenant.id"), "acme corp");
	cr_assert_eq(st.tenant_from_baggage, 1);
	cr_assert_eq(st.tenant_from_header, 0);
	/* default allow-list is empty: no baggage attrs */
	cr_assert_null(span__get(s, "baggage.user"));
	cr_assert_null(span__get(s, "baggage.tenant.id"));
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tenant, header_fallback_case_insensitive)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("baggage", "user=bob"), hv("X-TENANT-ID", "acme") };
	struct span *s = apply(t, h, 2);

	cr_assert_str_eq(str_attr(s, "tenant.id"), "acme");
	cr_assert_eq(stats(t).tenant_from_header, 1);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tenant, not_carried_across_requests)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h1[] = { hv("x-tenant-id", "acme") };
	struct header_view h2[] = { hv("content-type", "application/json") };
	struct span *a = apply(t, h1, 1), *b = apply(t, h2, 1);

	cr_assert_str_eq(str_attr(a, "tenant.id"), "acme");
	cr_assert_null(span__get(b, "tenant.id"));
	span__free(a);
	span__free(b);
	tracectx__free(t);
}

Test(tracectx_tenant, configured_order)
{
	static const char *const keys[] = { "org", "tenant" };
	static const char *const hdrs[] = { "x-org", "x-tenant" };
	struct tracectx_cfg cfg = { .tenant_baggage_keys = keys, .n_tenant_baggage_keys = 2,
				    .tenant_headers = hdrs, .n_tenant_headers = 2 };
	struct tracectx *t = tracectx__new(&cfg);
	struct header_view h1[] = { hv("baggage", "tenant=t1,org=o1") };
	struct header_view h2[] = { hv("baggage", "tenant=t1") };
	struct header_view h3[] = { hv("x-tenant", "ht"), hv("x-org", "ho") };
	struct header_view h4[] = { hv("x-tenant", "ht"), hv("x-tenant-id", "default") };
	struct span *a, *b, *c, *d;

	cr_assert_not_null(t);
	a = apply(t, h1, 1);
	b = apply(t, h2, 1);
	c = apply(t, h3, 2);
	d = apply(t, h4, 2);
	cr_assert_str_eq(str_attr(a, "tenant.id"), "o1");
	cr_assert_str_eq(str_attr(b, "tenant.id"), "t1");
	cr_assert_str_eq(str_attr(c, "tenant.id"), "ho");
	cr_assert_str_eq(str_attr(d, "tenant.id"), "ht");
	span__free(a);
	span__free(b);
	span__free(c);
	span__free(d);
	tracectx__free(t);
}

Test(tracectx_tenant, invalid_candidates_skipped_and_counted)
{
	struct tracectx *t = tracectx__new(NULL);
	char longv[300];
	struct span *a, *b, *c;

	memset(longv, 'x', 257);
	longv[257] = 0;
	{
		struct header_view h1[] = { hv("baggage", "tenant.id="), hv("x-tenant-id", "acme") };
		struct header_view h2[] = { hv("x-tenant-id", "a\x01" "b") };
		struct header_view h3[] = { hv("x-tenant-id", longv) };

		a = apply(t, h1, 2);
		b = apply(t, h2, 1);
		c = apply(t, h3, 1);
	}
	cr_assert_str_eq(str_attr(a, "tenant.id"), "acme");
	cr_assert_null(span__get(b, "tenant.id"));
	cr_assert_null(span__get(c, "tenant.id"));
	cr_assert_eq(stats(t).tenant_rejected, 3);
	span__free(a);
	span__free(b);
	span__free(c);
	tracectx__free(t);
}

Test(tracectx_tenant, malformed_baggage_falls_back_to_header)
{
	struct tracectx *t = tracectx__new(NULL);
	struct header_view h[] = { hv("baggage", "tenant.id=acme,bad"), hv("x-tenant-id", "hdr") };
	struct span *s = apply(t, h, 2);
	struct tracectx_stats st = stats(t);

	cr_assert_str_eq(str_attr(s, "tenant.id"), "hdr");
	cr_assert_eq(st.baggage_dropped[BAGGAGE_ERR_MALFORMED], 1);
	cr_assert_eq(st.tenant_from_header, 1);
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_tenant, disabled_lists)
{
	static const char *const none[] = { NULL };
	struct tracectx_cfg cfg = { .tenant_baggage_keys = none, .n_tenant_baggage_keys = 0,
				    .tenant_headers = none, .n_tenant_headers = 0 };
	struct tracectx *t = tracectx__new(&cfg);
	struct header_view h[] = { hv("baggage", "tenant.id=acme"), hv("x-tenant-id", "hdr") };
	struct span *s;

	cr_assert_not_null(t);
	s = apply(t, h, 2);
	cr_assert_null(span__get(s, "tenant.id"));
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_baggage, allow_listed_keys_copied)
{
	static const char *const allow[] = { "user", "session.id", "absent" };
	struct tracectx_cfg cfg = { .baggage_allow = allow, .n_baggage_allow = 3 };
	struct tracectx *t = tracectx__new(&cfg);
	struct header_view h[] = { hv("baggage", "user=bob%40example.com;p=1"),
				   hv("baggage", "secret=hunter2, session.id = s-1") };
	struct span *s;

	cr_assert_not_null(t);
	s = apply(t, h, 2);
	cr_assert_str_eq(str_attr(s, "baggage.user"), "bob@example.com");
	cr_assert_str_eq(str_attr(s, "baggage.session.id"), "s-1");
	cr_assert_null(span__get(s, "baggage.secret"));
	cr_assert_null(span__get(s, "baggage.absent"));
	span__free(s);
	tracectx__free(t);
}

Test(tracectx_baggage, drops_counted_by_reason)
{
	static const char *const allow[] = { "user" };
	struct tracectx_cfg cfg = { .baggage_allow = allow, .n_baggage_allow = 1 };
	struct tracectx *t = tracectx__new(&cfg);
	struct header_view h1[] = { hv("baggage", "user=%zz") };
	struct header_view h2[] = { hv("baggage", "user=a b") };
	struct span *a = apply(t, h1, 1), *b = apply(t, h2, 1);
	struct tracectx_stats st = stats(t);

	cr_assert_null(span__get(a, "baggage.user"));
	cr_assert_null(span__get(b, "baggage.user"));
	cr_assert_eq(st.baggage_dropped[BAGGAGE_ERR_PERCENT], 1);
	cr_assert_eq(st.baggage_dropped[BAGGAGE_ERR_MALFORMED], 1);
	cr_assert_eq(st.baggage_dropped[BAGGAGE_ABSENT], 0);
	span__free(a);
	span__free(b);
	tracectx__free(t);
}

Test(tracectx_cfg, rejects_bad_config)
{
	static const char *const secret[] = { "x-tenant-id", "Authorization" };
	static const char *const empty[] = { "" };
	static const char *const nul[] = { NULL };
	static const char *const many[17] = { "a", "b", "c", "d", "e", "f", "g", "h", "i",
					      "j", "k", "l", "m", "n", "o", "p", "q" };
	struct tracectx_cfg c1 = { .tenant_headers = secret, .n_tenant_headers = 2 };
	struct tracectx_cfg c2 = { .baggage_allow = empty, .n_baggage_allow = 1 };
	struct tracectx_cfg c3 = { .tenant_baggage_keys = nul, .n_tenant_baggage_keys = 1 };
	struct tracectx_cfg c4 = { .tenant_headers = many, .n_tenant_headers = 17 };

	errno = 0;
	cr_assert_null(tracectx__new(&c1));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(tracectx__new(&c2));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(tracectx__new(&c3));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(tracectx__new(&c4));
	cr_assert_eq(errno, EINVAL);
	c4.n_tenant_headers = 16;
	tracectx__free(tracectx__new(&c4));
}
