// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "trace/context.h"
#include "trace/ids.h"

#define BAGGAGE_ATTR_PREFIX "baggage."

struct name_list {
	size_t n;
	char *v[TRACECTX_MAX_LIST];
	size_t len[TRACECTX_MAX_LIST];
};

struct tracectx {
	struct ids *ids;
	struct name_list tenant_keys;
	struct name_list tenant_headers;
	struct name_list allow;          /* baggage keys */
	struct name_list allow_attrs;    /* "baggage.<key>", same order */
	bool (*workflow_parent)(void *ctx, const struct span *s, uint8_t trace_id[16],
				uint8_t span_id[8]);
	void *workflow_ctx;
	struct tracectx_stats st;
	char ts_buf[TRACESTATE_MAX_LEN]; /* combined tracestate */
	struct baggage bag;              /* parse workspace */
};

/* The parent a source proposes; state points into a buffer that lives
 * until the span is filled. */
struct parent_ctx {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t flags;
	const char *state;
	size_t state_len;
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
	t->workflow_parent = cfg->workflow_parent;
	t->workflow_ctx = cfg->workflow_ctx;
	t->ids = ids__new();
	if (!t->ids)
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

/* Source 1: a valid traceparent on the request. Invalid ones are counted
 * by reason and ignored, and then so is tracestate (W3C: don't parse
 * tracestate without a traceparent). */
static bool from_traceparent(struct tracectx *t, const struct http_message *req,
			     struct parent_ctx *p)
{
	struct traceparent tp;
	enum traceparent_res r;

	if (!req)
		return false;
	r = traceparent__from_headers(req->headers, req->n_headers, &tp);
	if (r == TRACEPARENT_ABSENT)
		return false;
	if (r != TRACEPARENT_OK) {
		t->st.traceparent_invalid[r]++;
		return false;
	}
	memcpy(p->trace_id, tp.trace_id, sizeof(p->trace_id));
	memcpy(p->span_id, tp.parent_id, sizeof(p->span_id));
	/* Keep the bits we understand; the rest are reserved and "MUST be
	 * set to zero" by whoever sends them on. */
	p->flags = tp.flags & (TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM);
	tracestate_collect(t, req, &p->state, &p->state_len);
	return true;
}

/* Source 2 (slot): an inbound server request still open on s->tid, i.e.
 * an agent serving a request makes this call on its behalf. Needs the
 * table of open server spans per thread, which does not exist yet, so
 * there is never one for now. */
static bool from_enclosing_server(struct tracectx *t, const struct span *s,
				  struct parent_ctx *p)
{
	return false;
}

/* Source 3: the process's workflow, as the configured stage (the causal
 * graph: agent turn, tool window) placed s. */
static bool from_workflow(struct tracectx *t, const struct span *s,
			  struct parent_ctx *p)
{
	if (!t->workflow_parent || !t->workflow_parent(t->workflow_ctx, s, p->trace_id, p->span_id))
		return false;
	p->flags = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM;
	return true;
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
static int set_tenant(struct tracectx *t, struct span *s,
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
		return span__set_str(s, "tenant.id", m->value);
	}
	for (size_t i = 0; req && i < t->tenant_headers.n; i++) {
		for (size_t k = 0; k < req->n_headers; k++) {
			const struct header_view *h = &req->headers[k];

			if (!name_is(h, t->tenant_headers.v[i], t->tenant_headers.len[i]))
				continue;
			if (!tenant_ok(h->value, h->value_len, false)) {
				t->st.tenant_rejected++;
				break; /* first header of this name decides */
			}
			t->st.tenant_from_header++;
			return attrs__set_strn(&s->attrs, "tenant.id", h->value,
					       h->value_len);
		}
	}
	return 0;
}

static int set_baggage_attrs(struct tracectx *t, struct span *s)
{
	for (size_t i = 0; i < t->allow.n; i++) {
		const struct baggage_member *m = baggage__get(&t->bag, t->allow.v[i]);
		int err;

		if (!m)
			continue;
		err = span__set_str(s, t->allow_attrs.v[i], m->value);
		if (err)
			return err;
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

int tracectx__apply(struct tracectx *t, struct span *s,
		    const struct http_message *req)
{
	struct parent_ctx p = { 0 };
	uint64_t *counter = &t->st.new_traces;
	uint8_t span_id[8];
	char *state = NULL;
	bool have_bag;
	int err;

	err = ids__span_id(t->ids, span_id);
	if (err)
		goto cleanup;

	if (from_traceparent(t, req, &p))
		counter = &t->st.joined;
	else if (from_enclosing_server(t, s, &p))
		counter = &t->st.from_server;
	else if (from_workflow(t, s, &p))
		counter = &t->st.from_workflow;
	else {
		err = ids__trace_id(t->ids, p.trace_id);
		if (err)
			goto cleanup;
		p.flags = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM;
	}
	if (p.state) {
		state = strndup(p.state, p.state_len);
		if (!state) {
			err = -ENOMEM;
			goto cleanup;
		}
	}

	(*counter)++;
	memcpy(s->trace_id, p.trace_id, sizeof(s->trace_id));
	memcpy(s->span_id, span_id, sizeof(s->span_id));
	memcpy(s->parent_span_id, p.span_id, sizeof(s->parent_span_id));
	s->trace_flags = p.flags;
	free(s->trace_state);
	s->trace_state = state;

	have_bag = load_baggage(t, req);
	err = set_tenant(t, s, req, have_bag);
	if (!err && have_bag)
		err = set_baggage_attrs(t, s);
	return err;
cleanup:
	if (err != -ENOMEM)
		t->st.id_errors++;
	return err;
}
