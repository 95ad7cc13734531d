// SPDX-License-Identifier: MIT
/* The parent decision over every source (trace/parent.h), on the request
 * table, and through tracectx on exchanges with real headers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "conn/stream.h"
#include "trace/context.h"
#include "trace/ids.h"
#include "trace/injected.h"
#include "trace/parent.h"
#include "trace/reqctx.h"
#include "trace/semconv.h"

static const uint8_t zero[16];

struct fx {
	struct reqctx_table *tab;
	struct parent_env env;
};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->tab = reqctx_table__new(64);
	f->env.table = f->tab;
	f->env.ids = ids__new();
	cr_assert(f->tab && f->env.ids);
}

static void fx_fini(struct fx *f)
{
	reqctx_table__free(f->tab);
	ids__free(f->env.ids);
}

static struct ar_tuple tup(uint8_t a, uint16_t ap, uint8_t b, uint16_t bp)
{
	struct ar_tuple t = { .family = 2, .sport = ap, .dport = bp };

	t.saddr[0] = 127, t.saddr[3] = a;
	t.daddr[0] = 127, t.daddr[3] = b;
	return t;
}

/* One request; tuple NULL for none. */
static struct reqctx *req(struct fx *f, uint64_t conn, uint32_t idx, uint32_t tgid, uint32_t tid,
			  bool inbound, const struct ar_tuple *t, uint64_t start, uint64_t served)
{
	bool fresh;
	struct reqctx *e = reqctx_table__add(f->tab, conn, idx, &fresh);

	cr_assert(fresh);
	e->tgid = tgid;
	e->tid = tid;
	e->inbound = inbound;
	if (t) {
		e->has_tuple = true;
		e->tuple = *t;
	}
	e->ts_start = start;
	e->ts_served = served;
	cr_assert_eq(ids__span_id(f->env.ids, e->span_id), 0);
	reqctx_table__index(f->tab, e);
	return e;
}

static void expect_child(const struct reqctx *c, const struct reqctx *p, enum parent_source src)
{
	cr_expect_eq(c->state, REQCTX_RESOLVED);
	cr_expect_eq(c->source, src, "source %d, want %d", c->source, src);
	cr_expect_arr_eq(c->trace_id, p->trace_id, 16);
	cr_expect_arr_eq(c->parent_id, p->span_id, 8);
}

static void expect_root(const struct reqctx *e)
{
	cr_expect_eq(e->state, REQCTX_RESOLVED);
	cr_expect_eq(e->source, PARENT_NONE, "source %d", e->source);
	cr_expect_arr_eq(e->parent_id, zero, 8);
	cr_expect_arr_neq(e->trace_id, zero, 16);
}

Test(parent_rules, observed_header_wins_over_enclosing_server)
{
	struct fx f;
	struct reqctx *s, *c;

	fx_init(&f);
	s = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	c = req(&f, 2, 0, 100, 10, false, NULL, 30, 30);
	c->has_observed = true;
	memset(c->obs_trace_id, 0xab, 16);
	memset(c->obs_span_id, 0xcd, 8);
	c->obs_flags = 1;
	cr_assert_eq(parent__resolve(&f.env, c), 0);
	cr_expect_eq(c->source, PARENT_OBSERVED);
	cr_expect_eq(c->trace_id[0], 0xab);
	cr_expect_eq(c->parent_id[7], 0xcd);
	cr_expect_eq(s->state, REQCTX_OPEN, "the server was not needed");
	cr_expect_eq(f.env.st.by_source[PARENT_OBSERVED], 1);
	fx_fini(&f);
}

Test(parent_rules, enclosing_server_same_thread_while_serving)
{
	struct fx f;
	struct reqctx *s, *c, *other_thr, *after, *before;

	fx_init(&f);
	s = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	s->tenant = strdup("acme");
	c = req(&f, 2, 0, 100, 10, false, NULL, 30, 30);
	other_thr = req(&f, 3, 0, 100, 11, false, NULL, 31, 31);
	before = req(&f, 4, 0, 100, 10, false, NULL, 15, 15); /* before it was read */
	cr_assert_eq(parent__resolve(&f.env, c), 0);
	expect_child(c, s, PARENT_SERVER);
	cr_expect_str_eq(c->tenant, "acme", "tenant inherited");
	cr_expect_eq(s->source, PARENT_NONE, "the server is a root");
	cr_assert_eq(parent__resolve(&f.env, other_thr), 0);
	expect_root(other_thr);
	cr_expect_null(other_thr->tenant);
	cr_assert_eq(parent__resolve(&f.env, before), 0);
	expect_root(before);
	s->ts_end = 50; /* response begun: no longer serving */
	after = req(&f, 5, 0, 100, 10, false, NULL, 60, 60);
	cr_assert_eq(parent__resolve(&f.env, after), 0);
	expect_root(after);
	fx_fini(&f);
}

Test(parent_rules, two_open_requests_on_a_thread_are_ambiguous)
{
	struct fx f;
	struct reqctx *c;

	fx_init(&f);
	req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	req(&f, 2, 0, 100, 10, true, NULL, 11, 21);
	c = req(&f, 3, 0, 100, 10, false, NULL, 30, 30);
	cr_assert_eq(parent__resolve(&f.env, c), 0);
	expect_root(c);
	cr_expect_eq(f.env.st.ambiguous, 1);
	fx_fini(&f);
}

Test(parent_rules, same_host_peer_by_tuple_then_request_order)
{
	struct fx f;
	struct ar_tuple ct = tup(1, 40000, 2, 8080), st = tup(2, 8080, 1, 40000);
	struct reqctx *c0, *c1, *s0, *s1, *stray;

	fx_init(&f);
	c0 = req(&f, 1, 0, 100, 10, false, &ct, 10, 10);
	s0 = req(&f, 2, 0, 200, 20, true, &st, 11, 12);
	c1 = req(&f, 1, 1, 100, 10, false, &ct, 30, 30);
	s1 = req(&f, 2, 1, 200, 20, true, &st, 31, 32);
	cr_assert_eq(parent__resolve(&f.env, s1), 0);
	expect_child(s1, c1, PARENT_PEER);
	cr_assert_eq(parent__resolve(&f.env, s0), 0);
	expect_child(s0, c0, PARENT_PEER);
	/* same tuple, a third request the client never sent */
	stray = req(&f, 2, 2, 200, 20, true, &st, 40, 41);
	cr_assert_eq(parent__resolve(&f.env, stray), 0);
	expect_root(stray);
	fx_fini(&f);
}

Test(parent_rules, injected_ids_name_the_span)
{
	struct fx f;
	struct reqctx *c;

	fx_init(&f);
	c = req(&f, 1, 0, 100, 10, false, NULL, 10, 10);
	c->has_injected = true;
	memset(c->inj_trace_id, 0x11, 16);
	memset(c->inj_span_id, 0x22, 8);
	cr_assert_eq(parent__resolve(&f.env, c), 0);
	cr_expect_eq(c->source, PARENT_INJECTED);
	cr_expect_eq(c->trace_id[5], 0x11);
	cr_expect_eq(c->span_id[3], 0x22);
	cr_expect_arr_eq(c->parent_id, zero, 8);
	fx_fini(&f);
}

/* The kernel took the server's trace from inject_ctx: the injected ids
 * decide and agree with the server. It had none yet (userspace wrote the
 * context too late): the server rule keeps the span in its workflow, with
 * the injected span id, and the late context is counted. */
Test(parent_rules, injected_ids_with_and_without_the_servers_context)
{
	struct fx f;
	struct reqctx *s, *with, *late;

	fx_init(&f);
	s = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	s->tenant = strdup("acme");
	cr_assert_eq(parent__resolve(&f.env, s), 0);
	with = req(&f, 2, 0, 100, 10, false, NULL, 30, 30);
	with->has_injected = with->inj_has_parent = true;
	memcpy(with->inj_trace_id, s->trace_id, 16);
	memcpy(with->inj_parent_id, s->span_id, 8);
	memset(with->inj_span_id, 0x22, 8);
	cr_assert_eq(parent__resolve(&f.env, with), 0);
	expect_child(with, s, PARENT_INJECTED);
	cr_expect_eq(with->span_id[0], 0x22);
	cr_expect_str_eq(with->tenant, "acme", "tenant inherited from the server");
	late = req(&f, 3, 0, 100, 10, false, NULL, 31, 31);
	late->has_injected = true;
	memset(late->inj_trace_id, 0x11, 16);
	memset(late->inj_span_id, 0x33, 8);
	cr_assert_eq(parent__resolve(&f.env, late), 0);
	expect_child(late, s, PARENT_SERVER);
	cr_expect_eq(late->span_id[0], 0x33, "the span the wire names");
	cr_expect_eq(f.env.st.inject_ctx_late, 1);
	fx_fini(&f);
}

Test(parent_rules, none_starts_a_trace)
{
	struct fx f;
	struct reqctx *c;

	fx_init(&f);
	c = req(&f, 1, 0, 100, 10, false, NULL, 10, 10);
	cr_assert_eq(parent__resolve(&f.env, c), 0);
	expect_root(c);
	cr_expect_str_eq(parent__source_name(c->source), TS_PARENT_NONE);
	fx_fini(&f);
}

/* agent SERVER <- caller; agent -> sub-agent (peer); sub-agent -> LLM */
Test(parent_rules, chain_across_processes_is_one_trace)
{
	struct fx f;
	struct ar_tuple ct = tup(1, 41000, 1, 9000), st = tup(1, 9000, 1, 41000);
	struct reqctx *agent, *call, *sub, *llm;

	fx_init(&f);
	agent = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	agent->tenant = strdup("t-7");
	call = req(&f, 2, 0, 100, 10, false, &ct, 30, 30);
	sub = req(&f, 3, 0, 200, 50, true, &st, 31, 32);
	llm = req(&f, 4, 0, 200, 50, false, NULL, 40, 40);
	/* the deepest one first: its ancestors are decided on the way */
	cr_assert_eq(parent__resolve(&f.env, llm), 0);
	expect_child(llm, sub, PARENT_SERVER);
	expect_child(sub, call, PARENT_PEER);
	expect_child(call, agent, PARENT_SERVER);
	cr_expect_str_eq(llm->tenant, "t-7");
	cr_expect_str_eq(sub->tenant, "t-7");
	fx_fini(&f);
}

Test(parent_rules, eviction_counts_open_requests)
{
	struct fx f;
	struct reqctx_stats st;

	fx_init(&f);
	req(&f, 1000, 0, 1, 1, true, NULL, 1, 2); /* served all along */
	for (int i = 0; i < 200; i++)
		req(&f, (uint64_t)i + 1, 0, 1, 1, false, NULL, 3, 3);
	reqctx_table__stats(f.tab, &st);
	cr_expect_eq(st.evicted_open, 200 - 63, "all but the pool's last 63 calls");
	cr_expect_eq(st.kept_serving, 3, "the request being served was stepped over");
	cr_expect_not_null(reqctx_table__find(f.tab, 1000, 0));
	cr_expect_null(reqctx_table__find(f.tab, 1, 0));
	cr_expect_not_null(reqctx_table__find(f.tab, 200, 0));
	fx_fini(&f);
}

/* Baggage slots are allocated with an entry's first member: the
 * parent's members fill the child's up to REQCTX_MAX_BAGGAGE, none is
 * taken twice, and eviction frees them (ASan's run checks the frees). */
Test(parent_rules, baggage_inherited_up_to_the_cap)
{
	static const char *attrs[REQCTX_MAX_BAGGAGE + 1] = {
		"baggage.k0", "baggage.k1", "baggage.k2", "baggage.k3", "baggage.k4",
		"baggage.k5", "baggage.k6", "baggage.k7", "baggage.k8", "baggage.k9",
		"baggage.k10", "baggage.k11", "baggage.k12", "baggage.k13", "baggage.k14",
		"baggage.k15", "baggage.k16",
	};
	struct fx f;
	struct reqctx *agent, *call;
	struct reqctx_bag *b;

	fx_init(&f);
	agent = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	call = req(&f, 2, 0, 100, 10, false, NULL, 30, 30);
	cr_expect_null(call->bag, "no member, no slots");
	for (int i = 0; i < REQCTX_MAX_BAGGAGE; i++) {
		b = reqctx__bag_next(agent);
		cr_assert_not_null(b);
		b->attr = attrs[i];
		b->value = strdup("v");
		agent->n_bag++;
	}
	cr_expect_null(reqctx__bag_next(agent), "full at REQCTX_MAX_BAGGAGE");
	b = reqctx__bag_next(call); /* its own member, also the parent's k3 */
	b->attr = attrs[3];
	b->value = strdup("own");
	call->n_bag++;
	cr_assert_eq(parent__resolve(&f.env, call), 0);
	expect_child(call, agent, PARENT_SERVER);
	cr_expect_eq(call->n_bag, REQCTX_MAX_BAGGAGE);
	cr_expect_str_eq(call->bag[0].value, "own", "its own member kept");
	for (size_t i = 1; i < call->n_bag; i++)
		cr_expect_neq(call->bag[i].attr, attrs[3], "k3 not taken twice");
	for (int i = 0; i < 200; i++) /* evicts both */
		req(&f, (uint64_t)i + 10, 0, 1, 1, false, NULL, 40, 40);
	cr_expect_null(reqctx_table__find(f.tab, 2, 0));
	fx_fini(&f);
}

/* --- through tracectx, with real headers --- */

static struct header_view hv(const char *name, const char *value)
{
	return (struct header_view){ name, strlen(name), value, strlen(value) };
}

static const char *attr(const struct span *s, const char *k)
{
	const struct attr *a = span__get(s, k);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

Test(parent_tracectx, inbound_traceparent_and_tenant_reach_the_outbound_call)
{
	static const char *const allow[] = { "session.id" };
	struct tracectx_cfg cfg = { .baggage_allow = allow, .n_baggage_allow = 1 };
	struct tracectx *t = tracectx__new(&cfg);
	struct conn_meta in = { .conn_id = 1, .tgid = 100 }, out = { .conn_id = 2, .tgid = 100 };
	struct header_view ih[] = {
		hv("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
		hv("baggage", "tenant.id=acme,session.id=s1"),
	};
	struct http_exchange xin = { .conn = &in, .method = "POST", .target = "/run", .inbound = true,
				     .req = { .headers = ih, .n_headers = 2, .ts_first = 10,
					      .ts_last = 20, .tid = 7 } };
	struct http_exchange xout = { .conn = &out, .method = "POST", .target = "/v1/chat",
				      .req = { .ts_first = 30, .ts_last = 31, .tid = 7 },
				      .status = 200, .resp = { .ts_first = 40, .ts_last = 41 } };
	struct span *sin = span__new("POST /run", SPAN_KIND_SERVER);
	struct span *sout = span__new("chat", SPAN_KIND_CLIENT);

	cr_assert(t && sin && sout);
	tracectx__request(t, &xin);
	tracectx__request(t, &xout);
	cr_assert_eq(tracectx__apply_exchange(t, sout, &xout, false), 0);
	xin.status = 200;
	xin.resp.ts_first = 50;
	tracectx__response(t, &xin);
	cr_assert_eq(tracectx__apply_exchange(t, sin, &xin, false), 0);
	cr_expect_arr_eq(sout->trace_id, sin->trace_id, 16);
	cr_expect_arr_eq(sout->parent_span_id, sin->span_id, 8);
	cr_expect_eq(sin->trace_id[0], 0x4b, "the incoming trace id");
	cr_expect_eq(sin->parent_span_id[7], 0xb7);
	cr_expect_str_eq(attr(sin, TS_PARENT_SOURCE), TS_PARENT_OBSERVED);
	cr_expect_str_eq(attr(sout, TS_PARENT_SOURCE), TS_PARENT_SERVER);
	cr_expect_str_eq(attr(sout, "tenant.id"), "acme");
	cr_expect_str_eq(attr(sout, "baggage.session.id"), "s1");
	span__free(sin);
	span__free(sout);
	tracectx__free(t);
}

/* An AR_EV_INJECT record is taken by the request with its process,
 * ports and request index, once. */
Test(parent_rules, injected_record_matches_its_request_once)
{
	struct injected *t = injected__new();
	struct ar_inject_event ev = { .hdr = { .type = AR_EV_INJECT, .tgid = 7 }, .sport = 5000,
				      .dport = 80, .req_index = 2 };
	struct ar_inject_event out;
	struct injected_stats st;

	cr_assert(t);
	ev.span_id[0] = 0x5a;
	injected__add(t, &ev);
	cr_expect_not(injected__take(t, 7, 5000, 80, 1, &out), "other request");
	cr_expect_not(injected__take(t, 8, 5000, 80, 2, &out), "other process");
	cr_expect_not(injected__take(t, 7, 80, 5000, 2, &out), "reversed ports");
	cr_assert(injected__take(t, 7, 5000, 80, 2, &out));
	cr_expect_eq(out.span_id[0], 0x5a);
	cr_expect_not(injected__take(t, 7, 5000, 80, 2, &out), "taken once");
	for (int i = 0; i < INJECTED_CAP + 1; i++)
		injected__add(t, &ev);
	injected__stats(t, &st);
	cr_expect_eq(st.overwritten, 1);
	cr_expect_eq(st.matched, 1);
	injected__free(t);
}

/* The sub-agent's request carries the traceparent agentrace injected into
 * its caller's request on this host: the caller's CLIENT span decides
 * (it may have settled in the workflow's trace when the wire has the
 * kernel's), not the header. */
Test(parent_rules, own_injected_header_defers_to_the_local_caller)
{
	struct ar_tuple ct = tup(1, 40000, 2, 8080), st = tup(2, 8080, 1, 40000);
	struct fx f;
	struct reqctx *srv, *call, *sub;

	fx_init(&f);
	srv = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	call = req(&f, 2, 0, 100, 10, false, &ct, 30, 30);
	call->has_injected = true; /* the kernel had no context: a fresh trace on the wire */
	memset(call->inj_trace_id, 0x11, 16);
	memset(call->inj_span_id, 0x33, 8);
	sub = req(&f, 3, 0, 200, 20, true, &st, 31, 32);
	sub->has_observed = true;
	memset(sub->obs_trace_id, 0x11, 16);
	memset(sub->obs_span_id, 0x33, 8);
	cr_assert_eq(parent__resolve(&f.env, sub), 0);
	expect_child(call, srv, PARENT_SERVER);
	expect_child(sub, call, PARENT_PEER);
	cr_expect_eq(sub->parent_id[0], 0x33);
	fx_fini(&f);
}

/* The context a served request hands the kernel for injection: its
 * trace, its span, and a baggage line of the tenant and allow-listed keys
 * (values needing percent-encoding left out); none before its trace can
 * be decided (a local caller may still claim it). */
Test(parent_tracectx, inject_ctx_of_a_served_request)
{
	static const char *const allow[] = { "session.id", "note" };
	struct tracectx_cfg cfg = { .baggage_allow = allow, .n_baggage_allow = 2 };
	struct tracectx *t = tracectx__new(&cfg);
	struct conn_meta in = { .conn_id = 1, .tgid = 100 };
	struct conn_meta local = { .conn_id = 2, .tgid = 100, .has_tuple = true };
	struct header_view ih[] = {
		hv("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
		hv("baggage", "tenant.id=acme,session.id=s1,note=a%20b"),
	};
	struct http_exchange xin = { .conn = &in, .method = "POST", .target = "/run", .inbound = true,
				     .req = { .headers = ih, .n_headers = 2, .ts_first = 10,
					      .ts_last = 20, .tid = 7 } };
	struct http_exchange xloc = { .conn = &local, .method = "POST", .target = "/run",
				      .inbound = true, .req = { .ts_first = 10, .ts_last = 20, .tid = 8 } };
	struct ar_inject_ctx c;

	cr_assert(t);
	local.tuple = (struct ar_tuple){ .family = 2, .sport = 80, .dport = 40000 };
	tracectx__request(t, &xin);
	cr_assert_eq(tracectx__inject_ctx(t, &xin, &c), 0);
	cr_expect_eq(c.trace_id[0], 0x4b);
	cr_expect_eq(c.trace_id[15], 0x36);
	cr_expect_eq(c.baggage_len, strlen("baggage: tenant.id=acme,session.id=s1\r\n"));
	cr_expect_eq(memcmp(c.baggage, "baggage: tenant.id=acme,session.id=s1\r\n", c.baggage_len), 0,
		     "%.*s", (int)c.baggage_len, c.baggage);
	tracectx__request(t, &xloc);
	cr_expect_eq(tracectx__inject_ctx(t, &xloc, &c), -EAGAIN, "its caller may be local");
	tracectx__free(t);
}

/* The kernel decided an inbound request's ids at its read
 * (--inject-traceparent, AR_INJ_F_SERVE). */
static void kernel_ids(struct reqctx *e, uint8_t trace, uint8_t span)
{
	e->has_kernel = true;
	memset(e->k_trace_id, trace, 16);
	memset(e->k_span_id, span, 8);
	memcpy(e->span_id, e->k_span_id, 8);
	e->k_flags = 1;
}

/* No header, no local caller: the kernel's trace and span, which the
 * thread's injected call already named as its parent. */
Test(parent_rules, kernel_ids_decide_a_root_server_and_its_injected_call)
{
	struct fx f;
	struct reqctx *s, *call;

	fx_init(&f);
	s = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	kernel_ids(s, 0x44, 0x55);
	call = req(&f, 2, 0, 100, 10, false, NULL, 30, 30);
	call->has_injected = call->inj_has_parent = true;
	memset(call->inj_trace_id, 0x44, 16);
	memset(call->inj_parent_id, 0x55, 8);
	memset(call->inj_span_id, 0x66, 8);
	cr_assert_eq(parent__resolve(&f.env, call), 0);
	expect_root(s);
	cr_expect_eq(s->trace_id[7], 0x44, "the kernel's trace");
	cr_expect_eq(s->span_id[3], 0x55, "the kernel's span");
	expect_child(call, s, PARENT_INJECTED);
	cr_expect_eq(f.env.st.serve_diverged + f.env.st.serve_mismatch + f.env.st.inject_ctx_late, 0);
	fx_fini(&f);
}

/* A caller on this host decides the trace (peer); the span stays the
 * kernel's, so the call the thread sent stays its child locally; the
 * divergence from what the wire carried is counted. */
Test(parent_rules, local_caller_overrides_the_kernels_trace_counted)
{
	struct fx f;
	struct ar_tuple ct = tup(1, 40000, 2, 80), st = tup(2, 80, 1, 40000);
	struct reqctx *caller, *s, *call;

	fx_init(&f);
	caller = req(&f, 1, 0, 200, 20, false, &ct, 5, 5);
	s = req(&f, 2, 0, 100, 10, true, &st, 10, 20);
	kernel_ids(s, 0x44, 0x55);
	call = req(&f, 3, 0, 100, 10, false, NULL, 30, 30);
	call->has_injected = call->inj_has_parent = true;
	memset(call->inj_trace_id, 0x44, 16);
	memset(call->inj_parent_id, 0x55, 8);
	cr_assert_eq(parent__resolve(&f.env, call), 0);
	expect_child(s, caller, PARENT_PEER);
	cr_expect_eq(s->span_id[0], 0x55);
	expect_child(call, s, PARENT_INJECTED);
	cr_expect_eq(f.env.st.serve_diverged, 1);
	fx_fini(&f);
}

/* The kernel read the same traceparent as userspace: no mismatch; a
 * kernel parent userspace did not see is one. */
Test(parent_rules, kernel_and_observed_traceparent_agree)
{
	struct fx f;
	struct reqctx *s, *odd;

	fx_init(&f);
	s = req(&f, 1, 0, 100, 10, true, NULL, 10, 20);
	s->has_observed = true;
	memset(s->obs_trace_id, 0x77, 16);
	memset(s->obs_span_id, 0x88, 8);
	kernel_ids(s, 0x77, 0x55);
	s->k_has_parent = true;
	memset(s->k_parent_id, 0x88, 8);
	cr_assert_eq(parent__resolve(&f.env, s), 0);
	cr_expect_eq(s->source, PARENT_OBSERVED);
	cr_expect_eq(s->span_id[0], 0x55);
	odd = req(&f, 2, 0, 100, 11, true, NULL, 10, 20);
	kernel_ids(odd, 0x12, 0x34);
	odd->k_has_parent = true;
	memset(odd->k_parent_id, 0x88, 8);
	cr_assert_eq(parent__resolve(&f.env, odd), 0);
	cr_expect_eq(odd->trace_id[0], 0x12, "the wire's trace, still");
	cr_expect_eq(f.env.st.serve_mismatch, 1);
	cr_expect_eq(f.env.st.serve_diverged, 0);
	fx_fini(&f);
}

/* tracectx: a served record after its entry (the usual order: capture's
 * data record first) and before it (an entry made later takes it). */
Test(parent_tracectx, served_record_names_the_server_span)
{
	struct tracectx *t = tracectx__new(NULL);
	struct conn_meta in = { .conn_id = 1, .tgid = 100, .has_tuple = true };
	struct conn_meta in2 = { .conn_id = 2, .tgid = 100, .has_tuple = true };
	struct http_exchange x = { .conn = &in, .method = "POST", .target = "/run", .inbound = true,
				   .req = { .ts_first = 10, .ts_last = 20, .tid = 7 },
				   .status = 200, .resp = { .ts_first = 30, .ts_last = 31 } };
	struct http_exchange x2 = x;
	struct ar_inject_event ev = { .hdr = { .type = AR_EV_INJECT, .flags = AR_INJ_F_SERVE,
					       .tgid = 100, .tid = 7 },
				      .sport = 80, .dport = 40000 };
	struct span *s = span__new("POST /run", SPAN_KIND_SERVER);
	struct span *s2 = span__new("POST /run", SPAN_KIND_SERVER);
	struct ar_inject_ctx c;

	cr_assert(t && s && s2);
	in.tuple = (struct ar_tuple){ .family = 2, .sport = 80, .dport = 40000 };
	in2.tuple = (struct ar_tuple){ .family = 2, .sport = 80, .dport = 40001 };
	x2.conn = &in2;
	memset(ev.trace_id, 0x44, 16);
	memset(ev.span_id, 0x55, 8);
	tracectx__request(t, &x);
	tracectx__injected(t, &ev);
	cr_expect_eq(tracectx__served_record_ctx(t, &ev, &c), -ENODATA, "nothing to add");
	cr_assert_eq(tracectx__apply_exchange(t, s, &x, true), 0);
	cr_expect_eq(s->trace_id[0], 0x44);
	cr_expect_eq(s->span_id[0], 0x55);
	ev.dport = 40001;
	memset(ev.span_id, 0x66, 8);
	tracectx__injected(t, &ev);
	tracectx__request(t, &x2);
	cr_assert_eq(tracectx__apply_exchange(t, s2, &x2, true), 0);
	cr_expect_eq(s2->span_id[0], 0x66, "taken when its entry was made");
	span__free(s);
	span__free(s2);
	tracectx__free(t);
}

/* The record table across wrap-around: the newest INJECTED_CAP records
 * are found in any order, each once; older ones were overwritten. */
Test(parent_rules, injected_records_found_in_any_order_after_wrapping)
{
	struct injected *t = injected__new();
	struct ar_inject_event ev = { .hdr = { .tgid = 100 }, .sport = 1, .dport = 2 }, out;
	struct injected_stats st;

	cr_assert(t);
	for (uint32_t i = 0; i < 3 * INJECTED_CAP; i++) {
		ev.req_index = i;
		injected__add(t, &ev);
		if (i % 3 == 0 && i < 2 * INJECTED_CAP) /* some taken at once, in order */
			cr_assert(injected__take(t, 100, 1, 2, i, &out));
	}
	cr_expect(!injected__take(t, 100, 1, 2, 2 * INJECTED_CAP - 1, &out), "overwritten");
	for (uint32_t i = 3 * INJECTED_CAP; i-- > 2 * INJECTED_CAP;) {
		cr_assert(injected__take(t, 100, 1, 2, i, &out), "record %u", i);
		cr_expect_eq(out.req_index, i);
		cr_expect(!injected__take(t, 100, 1, 2, i, &out), "taken twice: %u", i);
	}
	injected__stats(t, &st);
	cr_expect_eq(st.added, st.matched + st.overwritten);
	injected__free(t);
}

/* A one-thread server (nginx) keeps every request it served on one thread
 * chain, and the ring evicts the oldest, stepping over a request still
 * being served (so evictions also come from the chain's middle): five
 * tables' worth of requests on one thread leave a chain that still finds
 * the newest request, both enclosing spans of an outbound call, and none
 * of the evicted requests. */
Test(parent_table, one_thread_chain_survives_ring_eviction)
{
	struct fx f;
	struct reqctx *first = NULL, *last = NULL, *out[4];
	const int n = 5 * 64;

	fx_init(&f);
	for (int k = 0; k < n; k++) {
		struct ar_tuple t = tup(1, (uint16_t)(k + 1), 2, 80);

		last = req(&f, 1000 + k, 0, 7, 7, true, &t, k * 10ull + 10, k * 10ull + 11);
		if (k == 0)
			first = last; /* still being served: the ring keeps it */
		else if (k < n - 1)
			last->ts_end = k * 10ull + 15;
	}
	struct reqctx *o = req(&f, 99999, 0, 7, 7, false, NULL, (n - 1) * 10ull + 12, 0);

	cr_assert_eq(reqctx_table__enclosing(f.tab, o, out, 4), 2);
	cr_expect((out[0] == last && out[1] == first) || (out[0] == first && out[1] == last));
	cr_expect_eq(reqctx_table__served_on(f.tab, 7, 7, (uint16_t)n, 80, 0), last);
	cr_expect_eq(reqctx_table__served_on(f.tab, 7, 7, 1, 80, 0), first);
	cr_expect_null(reqctx_table__served_on(f.tab, 7, 7, 2, 80, 0));
	cr_expect_not_null(reqctx_table__served_on(f.tab, 7, 7, (uint16_t)(n - 10), 80, 0));
	fx_fini(&f);
}
