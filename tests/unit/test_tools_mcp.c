// SPDX-License-Identifier: MIT
/* MCP spans from the Streamable HTTP wire format (tests/fixtures/mcp). */
#include "tools/mcp.h"
#include "tools_fixture.h"

static const char *const cases[] = {
	"initialize_json", "initialize_sse", "notifications_initialized", "tools_list_json",
	"tools_list_sse", "tools_call_json", "tools_call_sse", "tools_call_sse_capture",
	"tools_call_is_error", "jsonrpc_error", "unknown_session_404", "sessionless_json",
	"sessionless_sse_base64",
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static struct tools *new_tools(bool capture)
{
	struct tools_cfg cfg = { .capture_content = capture };
	struct tools *t = tools__new(&cfg);

	cr_assert_not_null(t);
	return t;
}

static struct span *whole(const char *cas, struct tfx *f)
{
	struct tools *t;
	struct tools_stats st;
	struct span *s;

	tfx_load(f, cas);
	t = new_tools(f->capture);
	s = tools__span_from_exchange(t, &f->x, TFX_MONO_TO_REAL);
	tools__stats(t, &st);
	cr_assert_eq(st.mcp_spans, 1, "%s: not an MCP span", cas);
	cr_assert_eq(st.json_errors + st.sse_errors + st.nomem, 0, "%s: errors counted", cas);
	tools__free(t);
	return s;
}

#define CASE(name)                                        \
	Test(tools_mcp, name)                             \
	{                                                 \
		struct tfx f;                             \
		struct span *s = whole(#name, &f);        \
		tfx_check_span(&f, s, #name);             \
		span__free(s);                            \
		tfx_free(&f);                             \
	}

CASE(initialize_json)
CASE(initialize_sse)
CASE(notifications_initialized)
CASE(tools_list_json)
CASE(tools_list_sse)
CASE(tools_call_json)
CASE(tools_call_sse)
CASE(tools_call_sse_capture)
CASE(tools_call_is_error)
CASE(jsonrpc_error)
CASE(unknown_session_404)
CASE(sessionless_json)
CASE(sessionless_sse_base64)

/* The answer fed in pieces: every split gives the span the whole body gives. */
static struct span *split_span(struct tfx *f, const size_t *cuts, size_t n_cuts)
{
	struct tools *t = new_tools(f->capture);
	const char *b = (const char *)f->x.resp.body;
	size_t len = f->x.resp.body_len, pos = 0, i;
	uint64_t jerr = 0;
	struct mcp_reader *rd;
	struct mcp_req r;
	struct span *s;

	cr_assert_eq(mcp_req__parse(&r, &f->x, &jerr), 1);
	rd = mcp_reader__new(r.ids, r.id, mcp__answer_is_sse(&f->x));
	cr_assert_not_null(rd);
	for (i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;

		if (end > len)
			end = len;
		if (end < pos)
			continue;
		cr_assert_eq(mcp_reader__feed(rd, b + pos, end - pos), 0);
		pos = end;
	}
	mcp_reader__finish(rd);
	s = mcp__span(t, &f->x, &r, rd, TFX_MONO_TO_REAL);
	mcp_reader__free(rd);
	mcp_req__release(&r);
	tools__free(t);
	return s;
}

static uint64_t lcg(uint64_t *st)
{
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	return *st >> 33;
}

Test(tools_mcp, body_splits_give_identical_spans)
{
	size_t c, i, n;

	for (c = 0; c < N_CASES; c++) {
		struct tfx f;
		struct span *ref = whole(cases[c], &f), *s;
		size_t len = f.x.resp.body_len, *cuts = calloc(len + 1, sizeof(size_t));
		uint64_t seed = 0x5eed + c;

		/* byte by byte */
		for (i = 0; i < len; i++)
			cuts[i] = i + 1;
		s = split_span(&f, cuts, len);
		tfx_spans_equal(ref, s, cases[c]);
		span__free(s);
		/* random splits, several seeds */
		for (int round = 0; round < 20; round++) {
			size_t pos = 0;

			for (n = 0; pos < len; n++) {
				pos += 1 + lcg(&seed) % 24;
				cuts[n] = pos;
			}
			s = split_span(&f, cuts, n);
			tfx_spans_equal(ref, s, cases[c]);
			span__free(s);
		}
		free(cuts);
		span__free(ref);
		tfx_free(&f);
	}
}

Test(tools_mcp, bearer_token_never_reaches_a_span)
{
	for (size_t c = 0; c < N_CASES; c++) {
		struct tfx f;
		struct span *s = whole(cases[c], &f);

		cr_assert(strstr(f.rq.raw, TFX_SECRET), "%s: fixture lacks the token", cases[c]);
		tfx_check_no_secret(s);
		span__free(s);
		tfx_free(&f);
	}
}

Test(tools_mcp, mcp_name_header_decoding)
{
	char *v;

	v = mcp__header_value("get_weather", 11);
	cr_assert_str_eq(v, "get_weather");
	free(v);
	v = mcp__header_value("=?base64?dMO2w7ZsX3VuaWNvZGU=?=", 31);
	cr_assert_str_eq(v, "tööl_unicode");
	free(v);
	v = mcp__header_value("=?BASE64?Y2Fmw6k=?=", 19);
	cr_assert_str_eq(v, "café");
	free(v);
	cr_assert_null(mcp__header_value("=?base64?!!!?=", 14));
	cr_assert_null(mcp__header_value("caf\xc3\xa9", 5), "raw non-ASCII is not allowed");
	cr_assert_null(mcp__header_value("=?base64?AA==?=", 15), "NUL inside");
}

/* Builds an exchange by hand: request body, answer, status. */
struct hand {
	struct header_view rq_h[4], rs_h[2];
	struct http_exchange x;
};

static void hand_init(struct hand *h, const char *method, const char *req, const char *ctype,
		      const char *resp, int status)
{
	memset(h, 0, sizeof(*h));
	h->x.method = method;
	h->x.target = "/mcp";
	h->x.host = "mcp.example.com";
	h->x.req.headers = h->rq_h;
	h->x.req.body = (const uint8_t *)req;
	h->x.req.body_len = strlen(req);
	h->x.req.content_type = "application/json";
	h->x.resp.headers = h->rs_h;
	h->x.resp.body = (const uint8_t *)resp;
	h->x.resp.body_len = strlen(resp);
	h->x.resp.content_type = ctype;
	h->x.status = status;
	h->x.resp_complete = true;
}

static void hand_header(struct hand *h, const char *name, const char *value)
{
	struct header_view *v = &h->rq_h[h->x.req.n_headers++];

	v->name = name;
	v->name_len = strlen(name);
	v->value = value;
	v->value_len = strlen(value);
}

static const char *str_attr(const struct span *s, const char *k)
{
	const struct attr *a = span__get(s, k);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

Test(tools_mcp, batch_uses_first_request_and_any_error)
{
	struct tools *t = new_tools(false);
	struct hand h;
	struct span *s;
	const struct attr *a;

	hand_init(&h, "POST",
		  "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}},"
		  "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}},"
		  "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"tools/list\"}]",
		  "application/json",
		  "[{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"error\":{\"code\":-32603,\"message\":\"boom\"}},"
		  "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{\"content\":[]}}]", 200);
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_str_eq(s->name, "tools/call x");
	cr_assert_str_eq(str_attr(s, "jsonrpc.request.id"), "a");
	a = span__get(s, "mcp.batch.size");
	cr_assert(a && a->i == 3);
	cr_assert_eq(s->status, SPAN_STATUS_ERROR);
	cr_assert_str_eq(str_attr(s, "error.type"), "-32603");
	span__free(s);
	tools__free(t);
}

Test(tools_mcp, other_json_rpc_is_a_black_box_call)
{
	struct tools *t = new_tools(false);
	struct tools_stats st;
	struct hand h;
	struct span *s;

	hand_init(&h, "POST", "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"id\":1}",
		  "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}", 200);
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_str_eq(s->name, "POST");
	cr_assert_null(span__get(s, "mcp.method.name"));
	span__free(s);
	/* ...unless an MCP header says it is MCP */
	hand_header(&h, "Mcp-Session-Id", "s-1");
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_str_eq(s->name, "eth_blockNumber");
	cr_assert_str_eq(str_attr(s, "mcp.session.id"), "s-1");
	span__free(s);
	tools__stats(t, &st);
	cr_assert_eq(st.blackbox_spans, 1);
	cr_assert_eq(st.mcp_spans, 1);
	tools__free(t);
}

Test(tools_mcp, headers_name_the_call_when_the_body_is_lost)
{
	struct tools *t = new_tools(false);
	struct hand h;
	struct span *s;

	hand_init(&h, "POST", "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/ca", "application/json",
		  "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[],\"isError\":true}}", 200);
	h.x.req.body_truncated = true;
	hand_header(&h, "Mcp-Method", "tools/call");
	hand_header(&h, "Mcp-Name", "search");
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_str_eq(s->name, "tools/call search");
	cr_assert_str_eq(str_attr(s, "gen_ai.tool.name"), "search");
	cr_assert_str_eq(str_attr(s, "jsonrpc.request.id"), "5", "id from the response");
	cr_assert_str_eq(str_attr(s, "error.type"), "tool_error");
	cr_assert_null(span__get(s, "tool.input.hash"), "no arguments seen");
	span__free(s);
	tools__free(t);
}

Test(tools_mcp, missing_response_and_no_response)
{
	struct tools *t = new_tools(false);
	struct tools_stats st;
	struct hand h;
	struct span *s;

	/* an event stream that ends without our response */
	hand_init(&h, "POST", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}",
		  "text/event-stream",
		  "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n",
		  200);
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_str_eq(str_attr(s, "error.type"), "no_rpc_response");
	span__free(s);
	/* the connection closed mid-stream */
	h.x.resp_complete = false;
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_str_eq(str_attr(s, "error.type"), "stream_incomplete");
	span__free(s);
	/* no response at all */
	h.x.status = 0;
	h.x.resp.body_len = 0;
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_str_eq(str_attr(s, "error.type"), "no_response");
	cr_assert_null(span__get(s, "http.response.status_code"));
	span__free(s);
	/* cut by our own body cap: not the call's error */
	h.x.status = 200;
	h.x.resp_complete = true;
	h.x.resp.body_len = 20;
	h.x.resp.body_truncated = true;
	s = tools__span_from_exchange(t, &h.x, 0);
	cr_assert_eq(s->status, SPAN_STATUS_UNSET);
	span__free(s);
	tools__stats(t, &st);
	cr_assert_eq(st.no_rpc_response, 1);
	cr_assert_eq(st.incomplete, 2);
	cr_assert_eq(st.mcp_spans, 4);
	tools__free(t);
}

Test(tools_mcp, no_request_is_counted)
{
	struct tools *t = new_tools(false);
	struct tools_stats st;
	struct http_exchange x = { 0 };

	cr_assert_null(tools__span_from_exchange(t, NULL, 0));
	cr_assert_null(tools__span_from_exchange(t, &x, 0));
	tools__stats(t, &st);
	cr_assert_eq(st.no_request, 2);
	cr_assert_eq(st.exchanges, 2);
	tools__free(t);
}

Test(tools_mcp, content_is_cut_and_counted)
{
	struct tools *t = new_tools(true);
	struct tools_stats st;
	char *req = malloc(TOOLS_CONTENT_MAX + 200), *p = req;
	const struct attr *a;
	struct hand h;
	struct span *s;

	p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
		     "{\"name\":\"n\",\"arguments\":{\"q\":\"");
	memset(p, 'a', TOOLS_CONTENT_MAX);
	strcpy(p + TOOLS_CONTENT_MAX, "\"}}}");
	hand_init(&h, "POST", req, "application/json",
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}", 200);
	s = tools__span_from_exchange(t, &h.x, 0);
	a = span__get(s, "gen_ai.tool.call.arguments");
	cr_assert_not_null(a);
	cr_assert_eq(strlen(a->s), TOOLS_CONTENT_MAX);
	cr_assert_str_eq(str_attr(s, "gen_ai.tool.call.result"), "{\"content\":[]}");
	tools__stats(t, &st);
	cr_assert_eq(st.content_truncated, 1);
	span__free(s);
	tools__free(t);
	free(req);
}

/* The fixture helper compares values, not only types. */
Test(tools_fixture, attr_values_are_compared)
{
	char *a1[] = { "x", "y" }, *a2[] = { "x", "z" };
	struct attr d1 = { .type = ATTR_DOUBLE, .d = 0.5 }, d2 = { .type = ATTR_DOUBLE, .d = 0.25 };
	struct attr b1 = { .type = ATTR_BOOL, .b = true }, b2 = { .type = ATTR_BOOL, .b = false };
	struct attr s1 = { .type = ATTR_STR_ARRAY, .arr = { a1, 2 } };
	struct attr s2 = { .type = ATTR_STR_ARRAY, .arr = { a2, 2 } };
	struct attr s3 = { .type = ATTR_STR_ARRAY, .arr = { a1, 1 } };

	cr_assert(tfx_attr_value_eq(&d1, &d1));
	cr_assert_not(tfx_attr_value_eq(&d1, &d2));
	cr_assert(tfx_attr_value_eq(&b1, &b1));
	cr_assert_not(tfx_attr_value_eq(&b1, &b2));
	cr_assert(tfx_attr_value_eq(&s1, &s1));
	cr_assert_not(tfx_attr_value_eq(&s1, &s2));
	cr_assert_not(tfx_attr_value_eq(&s1, &s3));
	cr_assert_not(tfx_attr_value_eq(&d1, &b1));
}
