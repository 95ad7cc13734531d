// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "conn/stream.h"
#include "trace/context.h"
#include "trace/ids.h"
#include "trace/injected.h"
#include "trace/parent.h"
#include "trace/semconv.h"

#define BAGGAGE_ATTR_PREFIX "baggage."

struct name_list {
	size_t n;
	char *v[TRACECTX_MAX_LIST];
	size_t len[TRACECTX_MAX_LIST];
};

struct tracectx {
	struct ids *ids;
	struct parent_env env;           /* parent rules over the request table */
	struct injected *inj;            /* --inject-traceparent ids; made on first use */
	struct injected *served;         /* ... the kernel's SERVER ids, ahead of their entry */
	struct name_list tenant_keys;
	struct name_list tenant_headers;
	struct name_list allow;          /* baggage keys */
	struct name_list allow_attrs;    /* "baggage.<key>", same order */
	struct tracectx_stats st;
	char ts_buf[TRACESTATE_MAX_LEN]; /* combined tracestate */
	struct baggage bag;              /* parse workspace */
};

static const char *const default_tenant_keys[] = { "tenant.id" };
static const char *const default_tenant_headers[] = { "x-tenant-id" };

/* Never let a configured "tenant header" copy a credential to a span. */
static const char *const secret_headers[] = {
	"authorization", "proxy-authorization", "x-api-key", "api-key",
	"x-goog-api-key", "cookie", "set-cookie",
};

static void name_list__clear(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* Copies src[0..n) with prefix prepended. Returns 0, -EINVAL or -ENOMEM
 * (l then holds what was copied so far; the caller frees it). */
static int name_list__copy(struct name_list *l, const char *const *src,
			   size_t n, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (n > TRACECTX_MAX_LIST)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t len = src[i] ? strlen(src[i]) : 0;

		if (!len || len > TRACECTX_MAX_NAME)
			return -EINVAL;
		l->v[i] = malloc(plen + len + 1);
		if (!l->v[i])
			return -ENOMEM;
		memcpy(l->v[i], prefix, plen);
		memcpy(l->v[i] + plen, src[i], len + 1);
		l->len[i] = plen + len;
		l->n = i + 1;
	}
	return 0;
}

static bool is_secret_header(const char *name)
{
	for (size_t i = 0; i < sizeof(secret_headers) / sizeof(*secret_headers); i++)
		if (strcasecmp(name, secret_headers[i]) == 0)
			return true;
	return false;
}

void tracectx__free(struct tracectx *t)
{
	if (!t)
		return;
	name_list__clear(&t->tenant_keys);
	name_list__clear(&t->tenant_headers);
	name_list__clear(&t->allow);
	name_list__clear(&t->allow_attrs);
	reqctx_table__free(t->env.table);
	injected__free(t->inj);
	injected__free(t->served);
	ids__free(t->ids);
	free(t);
}

struct tracectx *tracectx__new(const struct tracectx_cfg *cfg)
{
	static const struct tracectx_cfg defaults;
	const char *const *keys = default_tenant_keys, *const *hdrs = default_tenant_headers;
	size_t nkeys = 1, nhdrs = 1;
	struct tracectx *t;
	int err = -ENOMEM;

	if (!cfg)
		cfg = &defaults;
	if (cfg->tenant_baggage_keys)
		keys = cfg->tenant_baggage_keys, nkeys = cfg->n_tenant_baggage_keys;
	if (cfg->tenant_headers)
		hdrs = cfg->tenant_headers, nhdrs = cfg->n_tenant_headers;

	t = calloc(1, sizeof(*t));
	if (!t)
		goto cleanup;
	t->ids = ids__new();
	t->env.table = reqctx_table__new(0);
	t->env.ids = t->ids;
	if (!t->ids || !t->env.table)
		goto cleanup;
	if ((err = name_list__copy(&t->tenant_keys, keys, nkeys, "")) ||
	    (err = name_list__copy(&t->tenant_headers, hdrs, nhdrs, "")))
		goto cleanup;
	if (cfg->baggage_allow &&
	    ((err = name_list__copy(&t->allow, cfg->baggage_allow,
				    cfg->n_baggage_allow, "")) ||
	     (err = name_list__copy(&t->allow_attrs, cfg->baggage_allow,
				    cfg->n_baggage_allow, BAGGAGE_ATTR_PREFIX))))
		goto cleanup;
	for (size_t i = 0; i < t->tenant_headers.n; i++) {
		if (is_secret_header(t->tenant_headers.v[i])) {
			warn("refusing credential header %s as tenant header",
			     t->tenant_headers.v[i]);
			err = -EINVAL;
			goto cleanup;
		}
	}
	return t;
cleanup:
	tracectx__free(t);
	errno = -err;
	return NULL;
}

void tracectx__stats(const struct tracectx *t, struct tracectx_stats *out)
{
	*out = t->st;
	out->parent = t->env.st;
	reqctx_table__stats(t->env.table, &out->requests);
	injected__stats(t->inj, &out->injected);
	injected__stats(t->served, &out->served);
	out->joined = out->parent.by_source[PARENT_OBSERVED];
	out->from_server = out->parent.by_source[PARENT_SERVER];
	out->from_peer = out->parent.by_source[PARENT_PEER];
	out->new_traces = out->parent.by_source[PARENT_NONE];
}

static bool name_is(const struct header_view *h, const char *name, size_t len)
{
	return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Joins the request's tracestate headers with ',' into t->ts_buf and
 * validates the result. Returns true with *out and *out_len set (NULL
 * when there is nothing to keep), or false when it was dropped and counted. */
static bool tracestate_collect(struct tracectx *t, const struct http_message *req,
			       const char **out, size_t *out_len)
{
	enum tracestate_res r = TRACESTATE_OK;
	size_t len = 0;

	*out = NULL;
	*out_len = 0;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct header_view *h = &req->headers[i];
		const char *v = h->value;
		size_t vn = h->value_len;

		if (!name_is(h, "tracestate", 10))
			continue;
		while (vn && is_ows(v[0]))
			v++, vn--;
		while (vn && is_ows(v[vn - 1]))
			vn--;
		if (!vn)
			continue;
		if (len + !!len + vn > TRACESTATE_MAX_LEN) {
			r = TRACESTATE_ERR_TOO_LONG;
			goto cleanup;
		}
		if (len)
			t->ts_buf[len++] = ',';
		memcpy(t->ts_buf + len, v, vn);
		len += vn;
	}
	r = tracestate__validate(t->ts_buf, len);
	if (r != TRACESTATE_OK)
		goto cleanup;
	/* only empty members: nothing worth propagating */
	if (memchr(t->ts_buf, '=', len)) {
		*out = t->ts_buf;
		*out_len = len;
	}
	return true;
cleanup:
	t->st.tracestate_dropped[r]++;
	return false;
}

/* A valid traceparent on the request, kept in e with its tracestate.
 * Invalid ones are counted by reason and ignored, and then so is
 * tracestate (W3C: don't parse tracestate without a traceparent).
 * Returns 0 or -ENOMEM. */
static int observe_traceparent(struct tracectx *t, const struct http_message *req,
			       struct reqctx *e)
{
	struct traceparent tp;
	enum traceparent_res r;
	const char *state;
	size_t state_len;

	r = traceparent__from_headers(req->headers, req->n_headers, &tp);
	if (r == TRACEPARENT_ABSENT)
		return 0;
	if (r != TRACEPARENT_OK) {
		t->st.traceparent_invalid[r]++;
		return 0;
	}
	e->has_observed = true;
	memcpy(e->obs_trace_id, tp.trace_id, sizeof(e->obs_trace_id));
	memcpy(e->obs_span_id, tp.parent_id, sizeof(e->obs_span_id));
	/* Keep the bits we understand; the rest are reserved and "MUST be
	 * set to zero" by whoever sends them on. */
	e->obs_flags = tp.flags & (TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM);
	if (tracestate_collect(t, req, &state, &state_len) && state) {
		e->obs_state = strndup(state, state_len);
		if (!e->obs_state)
			return -ENOMEM;
	}
	return 0;
}

/* Tenant ids go to a span verbatim, so they must be sane text: no
 * control characters, and bytes >= 0x80 only where they were already
 * checked to be UTF-8 (decoded baggage); raw header values stay ASCII. */
static bool tenant_ok(const char *v, size_t n, bool utf8_checked)
{
	if (n == 0 || n > TRACECTX_MAX_TENANT)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8_checked))
			return false;
	}
	return true;
}

/* tenant.id: the first configured baggage key present, else the first
 * configured header present; a candidate that fails tenant_ok is counted
 * and the next one tried. Returns 0 or -ENOMEM. */
static int take_tenant(struct tracectx *t, struct reqctx *e,
		       const struct http_message *req, bool have_bag)
{
	for (size_t i = 0; have_bag && i < t->tenant_keys.n; i++) {
		const struct baggage_member *m = baggage__get(&t->bag, t->tenant_keys.v[i]);

		if (!m)
			continue;
		if (!tenant_ok(m->value, m->value_len, true)) {
			t->st.tenant_rejected++;
			continue;
		}
		t->st.tenant_from_baggage++;
		e->tenant = strndup(m->value, m->value_len);
		return e->tenant ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < t->tenant_headers.n; i++) {
		for (size_t k = 0; k < req->n_headers; k++) {
			const struct header_view *h = &req->headers[k];

			if (!name_is(h, t->tenant_headers.v[i], t->tenant_headers.len[i]))
				continue;
			if (!tenant_ok(h->value, h->value_len, false)) {
				t->st.tenant_rejected++;
				break; /* first header of this name decides */
			}
			t->st.tenant_from_header++;
			e->tenant = strndup(h->value, h->value_len);
			return e->tenant ? 0 : -ENOMEM;
		}
	}
	return 0;
}

static int take_baggage(struct tracectx *t, struct reqctx *e)
{
	for (size_t i = 0; i < t->allow.n && e->n_bag < REQCTX_MAX_BAGGAGE; i++) {
		const struct baggage_member *m = baggage__get(&t->bag, t->allow.v[i]);
		struct reqctx_bag *b;

		if (!m)
			continue;
		b = reqctx__bag_next(e);
		if (!b || !(b->value = strndup(m->value, m->value_len)))
			return -ENOMEM;
		b->attr = t->allow_attrs.v[i];
		e->n_bag++;
	}
	return 0;
}

/* Parses baggage if anything consumes it. Returns true when t->bag
 * holds a usable (possibly empty) list. */
static bool load_baggage(struct tracectx *t, const struct http_message *req)
{
	enum baggage_res r;

	t->bag.n = 0;
	if (!req || (!t->tenant_keys.n && !t->allow.n))
		return false;
	r = baggage__from_headers(&t->bag, req->headers, req->n_headers);
	if (r == BAGGAGE_OK)
		return true;
	if (r != BAGGAGE_ABSENT)
		t->st.baggage_dropped[r]++;
	return false;
}

/* What the request itself says: traceparent, tracestate, tenant and
 * allow-listed baggage. Returns 0 or -ENOMEM (e keeps what it got). */
static int take_request(struct tracectx *t, struct reqctx *e, const struct http_message *req)
{
	bool have_bag;
	int err;

	if (!req)
		return 0;
	err = observe_traceparent(t, req, e);
	have_bag = load_baggage(t, req);
	if (!err)
		err = take_tenant(t, e, req, have_bag);
	if (!err && have_bag)
		err = take_baggage(t, e);
	return err;
}

/* Copies e's decision onto s. Returns 0 or -ENOMEM (ids are set). */
static int fill_span(struct span *s, const struct reqctx *e)
{
	char *state = NULL;
	int err = 0;

	if (e->state_str && !(state = strdup(e->state_str)))
		return -ENOMEM;
	memcpy(s->trace_id, e->trace_id, sizeof(s->trace_id));
	memcpy(s->span_id, e->span_id, sizeof(s->span_id));
	memcpy(s->parent_span_id, e->parent_id, sizeof(s->parent_span_id));
	s->trace_flags = e->flags;
	free(s->trace_state);
	s->trace_state = state;
	if (e->tenant)
		err |= span__set_str(s, "tenant.id", e->tenant);
	for (size_t i = 0; i < e->n_bag; i++)
		err |= span__set_str(s, e->bag[i].attr, e->bag[i].value);
	err |= span__set_str(s, TS_PARENT_SOURCE, parent__source_name(e->source));
	return err ? -ENOMEM : 0;
}

int tracectx__apply(struct tracectx *t, struct span *s,
		    const struct http_message *req)
{
	struct reqctx e = { 0 };
	int err;

	err = ids__span_id(t->ids, e.span_id);
	if (err)
		goto cleanup;
	e.tgid = s->proc.pid;
	e.tid = s->tid;
	err = take_request(t, &e, req);
	if (err)
		goto cleanup;
	/* not in the table: only the request's own header or a new trace */
	e.inbound = true;
	err = parent__resolve(&t->env, &e);
	if (err)
		goto cleanup;
	err = fill_span(s, &e);
cleanup:
	if (err && err != -ENOMEM)
		t->st.id_errors++;
	reqctx__release(&e);
	return err;
}

/* The ids the kernel put into e's request on the wire, if it did. */
static void take_injected(struct tracectx *t, struct reqctx *e)
{
	static const uint8_t zero[8];
	struct ar_inject_event ev;

	if (!injected__take(t->inj, e->tgid, e->tuple.sport, e->tuple.dport, e->req_index, &ev))
		return;
	e->has_injected = true;
	memcpy(e->inj_trace_id, ev.trace_id, 16);
	memcpy(e->inj_span_id, ev.span_id, 8);
	memcpy(e->inj_parent_id, ev.parent_id, 8);
	e->inj_has_parent = memcmp(ev.parent_id, zero, 8) != 0;
}

/* The ids the kernel gave inbound entry e at its read. Before e is
 * emitted they are what its thread's calls named: e becomes that span
 * (trace/parent.c keeps it whichever rule decides the trace). */
static void adopt_served(struct tracectx *t, struct reqctx *e, const struct ar_inject_event *ev)
{
	static const uint8_t zero[8];

	if (e->emitted) {
		t->st.serve_late++;
		return;
	}
	e->has_kernel = true;
	memcpy(e->k_trace_id, ev->trace_id, 16);
	memcpy(e->k_span_id, ev->span_id, 8);
	memcpy(e->k_parent_id, ev->parent_id, 8);
	e->k_has_parent = memcmp(ev->parent_id, zero, 8) != 0;
	e->k_flags = ev->trace_flags & (TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM);
	if (!e->k_has_parent)
		e->k_flags = TRACE_FLAG_SAMPLED;
	memcpy(e->span_id, ev->span_id, 8);
	if (e->state == REQCTX_RESOLVED && memcmp(e->trace_id, ev->trace_id, 16))
		t->env.st.serve_diverged++;
}

static void take_served(struct tracectx *t, struct reqctx *e)
{
	struct ar_inject_event ev;

	if (injected__take(t->served, e->tgid, e->tuple.sport, e->tuple.dport, e->req_index, &ev))
		adopt_served(t, e, &ev);
}

/* The table entry of x's request, added (and filled from x's request
 * headers) on first sight. NULL on id failure. */
static struct reqctx *entry_of(struct tracectx *t, const struct http_exchange *x)
{
	const struct conn_meta *c = x->conn;
	struct reqctx *e;
	bool fresh;

	if (!c)
		return NULL;
	e = reqctx_table__add(t->env.table, c->conn_id, x->req_index, &fresh);
	if (!fresh) {
		if (c->has_tuple)
			reqctx_table__set_tuple(t->env.table, e, &c->tuple);
		return e;
	}
	e->tgid = c->tgid;
	e->tid = x->req.tid;
	e->inbound = x->inbound;
	e->has_tuple = c->has_tuple;
	e->tuple = c->tuple;
	e->ts_start = x->req.ts_first;
	e->ts_served = x->req.ts_last ? x->req.ts_last : x->req.ts_first;
	if (ids__span_id(t->ids, e->span_id))
		t->st.id_errors++;
	if (take_request(t, e, &x->req))
		t->st.nomem++;
	if (!e->inbound && e->has_tuple)
		take_injected(t, e);
	else if (e->inbound && e->has_tuple)
		take_served(t, e);
	reqctx_table__index(t->env.table, e);
	return e;
}

static void stash(struct tracectx *t, struct injected **tab, const struct ar_inject_event *ev)
{
	if (!*tab)
		*tab = injected__new();
	if (*tab)
		injected__add(*tab, ev);
	else
		t->st.nomem++;
}

static struct reqctx *served_entry(struct tracectx *t, const struct ar_inject_event *ev)
{
	return reqctx_table__served_on(t->env.table, ev->hdr.tgid, ev->hdr.tid, ev->sport,
				       ev->dport, ev->req_index);
}

void tracectx__injected(struct tracectx *t, const struct ar_inject_event *ev)
{
	struct reqctx *e;

	if (!(ev->hdr.flags & AR_INJ_F_SERVE)) {
		stash(t, &t->inj, ev);
		return;
	}
	/* normally after the read's data record, so the entry exists */
	e = served_entry(t, ev);
	if (e)
		adopt_served(t, e, ev);
	else
		stash(t, &t->served, ev);
}

void tracectx__request(struct tracectx *t, const struct http_exchange *x)
{
	entry_of(t, x);
}

void tracectx__response(struct tracectx *t, const struct http_exchange *x)
{
	struct reqctx *e = x->conn ? reqctx_table__find(t->env.table, x->conn->conn_id,
							x->req_index) : NULL;

	if (e && x->conn->has_tuple) /* a memory-BIO SSL* linked since */
		reqctx_table__set_tuple(t->env.table, e, &x->conn->tuple);
	if (e && !e->ts_end)
		e->ts_end = x->resp.ts_first ? x->resp.ts_first : 1;
}

/* An inbound request with no header of its own whose caller on this host
 * may not have been seen yet: deciding it now could cut it off from its
 * caller's trace. */
static bool waits_for_peer(struct tracectx *t, const struct reqctx *e)
{
	const struct reqctx *p;

	if (e->state != REQCTX_OPEN || !e->inbound || e->has_observed || !e->has_tuple)
		return false;
	/* the caller's span may still be moved by a later stage (the agent
	 * turn, tracectx__settle): wait for it to be built */
	p = reqctx_table__peer(t->env.table, e);
	return !p || !p->emitted;
}

/* Baggage values that need no percent-encoding. */
static bool baggage_safe(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f || strchr("\",;\\%=", *v))
			return false;
	return true;
}

static void add_member(char *buf, size_t cap, size_t *len, const char *k, const char *v)
{
	int n;

	if (!k || !v || !baggage_safe(v))
		return;
	n = snprintf(buf + *len, cap - *len, "%s%s=%s", *len > 9 ? "," : "", k, v);
	if (n > 0 && (size_t)n < cap - *len - 2)
		*len += (size_t)n;
	else
		buf[*len] = 0; /* does not fit: left out */
}

/* e's context for the kernel: trace, e's span and a "baggage:" line of
 * the tenant and allow-listed baggage e has. */
static void fill_ctx(struct tracectx *t, const struct reqctx *e, const uint8_t *trace_id,
		     struct ar_inject_ctx *out)
{
	const char *tkey = t->tenant_keys.n ? t->tenant_keys.v[0] : "tenant.id";
	size_t len = 9;

	memset(out, 0, sizeof(*out));
	memcpy(out->trace_id, trace_id, 16);
	memcpy(out->span_id, e->span_id, 8);
	memcpy(out->baggage, "baggage: ", 9);
	add_member(out->baggage, sizeof(out->baggage), &len, tkey, e->tenant);
	for (size_t i = 0; i < e->n_bag; i++) {
		const char *k = e->bag[i].attr + strlen(BAGGAGE_ATTR_PREFIX);

		if (strcmp(k, tkey))
			add_member(out->baggage, sizeof(out->baggage), &len, k, e->bag[i].value);
	}
	if (len > 9) {
		memcpy(out->baggage + len, "\r\n", 2);
		out->baggage_len = (uint16_t)(len + 2);
	}
}

/* The context e gives the calls of its thread: see tracectx__inject_ctx. */
static int entry_inject_ctx(struct tracectx *t, struct reqctx *e, struct ar_inject_ctx *out)
{
	int err;

	if (!e || !e->inbound)
		return -ENOENT;
	if (waits_for_peer(t, e))
		return -EAGAIN;
	err = parent__resolve(&t->env, e);
	if (err)
		return err;
	fill_ctx(t, e, e->trace_id, out);
	return 0;
}

int tracectx__inject_ctx(struct tracectx *t, const struct http_exchange *x,
			 struct ar_inject_ctx *out)
{
	struct reqctx *e = x->conn ? reqctx_table__find(t->env.table, x->conn->conn_id,
							x->req_index) : NULL;

	if (e && e->has_kernel)
		return tracectx__served_ctx(t, e, out);
	return entry_inject_ctx(t, e, out);
}

int tracectx__served_ctx(struct tracectx *t, struct reqctx *e, struct ar_inject_ctx *out)
{
	int err;

	if (!e || !e->has_kernel)
		return -ENOENT;
	if (waits_for_peer(t, e)) {
		/* its own baggage, in the trace the kernel already sends */
		fill_ctx(t, e, e->k_trace_id, out);
	} else {
		err = entry_inject_ctx(t, e, out);
		if (err)
			return err;
	}
	/* the kernel already sends the same trace, and there is no baggage */
	if (!out->baggage_len && !memcmp(out->trace_id, e->k_trace_id, 16))
		return -ENODATA;
	return 0;
}

int tracectx__served_record_ctx(struct tracectx *t, const struct ar_inject_event *ev,
				struct ar_inject_ctx *out)
{
	if (!(ev->hdr.flags & AR_INJ_F_SERVE))
		return -ENOENT;
	return tracectx__served_ctx(t, served_entry(t, ev), out);
}

static int apply_entry(struct tracectx *t, struct span *s, struct reqctx *e, bool final)
{
	int err;

	if (!final && waits_for_peer(t, e))
		return -EAGAIN;
	err = parent__resolve(&t->env, e);
	if (err) {
		t->st.id_errors++;
		return err;
	}
	e->emitted = true;
	return fill_span(s, e);
}

void tracectx__settle(struct tracectx *t, const struct span *s, const struct http_exchange *x)
{
	struct reqctx *e = x->conn ? reqctx_table__find(t->env.table, x->conn->conn_id,
							x->req_index) : NULL;

	if (!e || memcmp(e->span_id, s->span_id, sizeof(e->span_id)))
		return;
	memcpy(e->trace_id, s->trace_id, sizeof(e->trace_id));
	memcpy(e->parent_id, s->parent_span_id, sizeof(e->parent_id));
	e->flags = s->trace_flags;
}

int tracectx__apply_exchange(struct tracectx *t, struct span *s, const struct http_exchange *x,
			     bool final)
{
	struct reqctx *e = entry_of(t, x);

	if (!e)
		return tracectx__apply(t, s, &x->req);
	/* the exchange is over: nothing after it is served by it */
	if (!e->ts_end)
		e->ts_end = x->resp.ts_first ? x->resp.ts_first
			  : x->req.ts_last ? x->req.ts_last : 1;
	return apply_entry(t, s, e, final);
}

int tracectx__apply_held(struct tracectx *t, struct span *s, uint64_t conn_id,
			 uint32_t req_index, bool final)
{
	struct reqctx *e = reqctx_table__find(t->env.table, conn_id, req_index);

	if (!e) /* evicted while it waited */
		return tracectx__apply(t, s, NULL);
	return apply_entry(t, s, e, final);
}

bool tracectx__peer_known(struct tracectx *t, uint64_t conn_id, uint32_t req_index)
{
	struct reqctx *e = reqctx_table__find(t->env.table, conn_id, req_index);

	return !e || !waits_for_peer(t, e);
}
