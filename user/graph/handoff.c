// SPDX-License-Identifier: MIT
/*
 * Hand-offs. The sub-agent's first LLM call under a served request is
 * placed (graph__after_context, parent source "server") before that
 * request's SERVER span is built, so its input text waits in a small ring
 * keyed by the SERVER span's id; the request's body waits from
 * graph__on_span until the SERVER span's ids are decided (perhaps after
 * it was held for its caller); then the share is set on the SERVER span.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn/stream.h"
#include "graph/drift.h"
#include "graph/handoff.h"
#include "graph/internal.h"
#include "graph/names.h"
#include "graph/norm.h"
#include "trace/semconv.h"

#define MAX_VALS 64 /* payload values compared; more are left out */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len && b->len < b->cap)
		b->s[b->len++] = '\n';
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->s + b->len, s, n);
	b->len += n;
}

static int put_parts(struct buf *b, const json_t *parts)
{
	const json_t *p;
	size_t i, n;
	char *t;

	json_array_foreach(parts, i, p) {
		const char *type = json_string_value(json_object_get(p, "type"));
		const json_t *c = json_object_get(p, "content");

		if (type && !strcmp(type, "text") && json_is_string(c)) {
			put(b, json_string_value(c), json_string_length(c));
		} else if (type && !strcmp(type, "tool_call_response")) {
			t = norm__result_text(json_object_get(p, "response"), &n);
			if (!t)
				return -ENOMEM;
			put(b, t, n);
			free(t);
		}
	}
	return 0;
}

char *handoff__input_text(const json_t *msgs, const json_t *sys, size_t max, size_t *len)
{
	struct buf b = { malloc(max + 1), 0, max };
	const json_t *m;
	size_t i;
	char *o = NULL;

	if (!b.s)
		return NULL;
	if (put_parts(&b, sys))
		goto cleanup;
	json_array_foreach(msgs, i, m)
		if (put_parts(&b, json_object_get(m, "parts")))
			goto cleanup;
	o = norm__ws(b.s, b.len, len);
cleanup:
	free(b.s);
	return o;
}

struct vals {
	struct drift_val v[MAX_VALS];
	size_t n;
};

static int add_val(void *ctx, const char *s, size_t n)
{
	struct vals *vs = ctx;
	size_t len;
	char *t;

	if (vs->n == MAX_VALS)
		return 0;
	t = norm__ws(s, n, &len);
	if (!t)
		return -ENOMEM;
	vs->v[vs->n].s = t;
	vs->v[vs->n++].n = len;
	return 0;
}

int handoff__measure(const char *body, size_t n, const char *in, size_t in_len,
		     double *share)
{
	json_t *j = json_loadb(body, n, 0, NULL);
	struct vals vs = { .n = 0 };
	int ret = j ? norm__leaves(j, false, add_val, &vs) : add_val(&vs, body, n);

	if (!ret)
		ret = drift__reached(vs.v, vs.n, in, in_len, share);
	for (size_t i = 0; i < vs.n; i++)
		free((char *)vs.v[i].s);
	json_decref(j);
	return ret;
}

/* ---- the graph's side ---- */

static void entry__release(struct handoff *h)
{
	free(h->input);
	memset(h, 0, sizeof(*h));
}

static void held__release(struct held_payload *p)
{
	free(p->body);
	memset(p, 0, sizeof(*p));
}

void handoff__free(struct graph *g)
{
	for (size_t i = 0; i < GRAPH_MAX_HANDOFFS; i++) {
		g->st.handoffs_unmatched += g->ho[i].used;
		entry__release(&g->ho[i]);
		held__release(&g->hp[i]);
	}
	json_decref(g->probe.msgs);
	json_decref(g->probe.sys);
	memset(&g->probe, 0, sizeof(g->probe));
}

static struct handoff *entry_of(struct graph *g, const uint8_t server_span_id[8])
{
	for (size_t i = 0; i < GRAPH_MAX_HANDOFFS; i++)
		if (g->ho[i].used && !memcmp(g->ho[i].server_span_id, server_span_id, 8))
			return &g->ho[i];
	return NULL;
}

void handoff__on_llm(struct graph *g, const struct span *s)
{
	const struct attr *src = span__get(s, TS_PARENT_SOURCE);
	struct handoff *h;

	if (!src || src->type != ATTR_STR || strcmp(src->s, TS_PARENT_SERVER) ||
	    entry_of(g, s->parent_span_id))
		return; /* not served, or not the request's first LLM call */
	h = &g->ho[g->ho_next++ % GRAPH_MAX_HANDOFFS];
	g->st.handoffs_unmatched += h->used;
	entry__release(h);
	h->input = handoff__input_text(g->probe.msgs, g->probe.sys, GRAPH_OUTPUT_MAX, &h->len);
	if (!h->input) {
		g->st.nomem++;
		return;
	}
	h->used = true;
	h->tgid = s->proc.pid;
	memcpy(h->server_span_id, s->parent_span_id, 8);
}

void handoff__on_served(struct graph *g, const struct span *s, const struct http_exchange *x)
{
	struct held_payload *p;
	bool any = false;

	for (size_t i = 0; i < GRAPH_MAX_HANDOFFS && !any; i++)
		any = g->ho[i].used && g->ho[i].tgid == x->conn->tgid;
	/* a cut body would understate what was handed over */
	if (!any || !x->req.body || !x->req.body_len || x->req.body_truncated ||
	    x->req.body_len > GRAPH_OUTPUT_MAX)
		return;
	p = &g->hp[g->hp_next++ % GRAPH_MAX_HANDOFFS];
	held__release(p);
	p->body = malloc(x->req.body_len);
	if (!p->body) {
		g->st.nomem++;
		return;
	}
	memcpy(p->body, x->req.body, x->req.body_len);
	p->len = x->req.body_len;
	p->s = s;
	p->start_ns = s->start_ns;
}

void handoff__on_server(struct graph *g, struct span *s)
{
	struct held_payload *p = NULL;
	struct handoff *h;
	double share = 0;
	int d;

	for (size_t i = 0; i < GRAPH_MAX_HANDOFFS && !p; i++)
		if (g->hp[i].s == s && g->hp[i].start_ns == s->start_ns)
			p = &g->hp[i];
	if (!p)
		return;
	h = entry_of(g, s->span_id);
	if (h) {
		d = handoff__measure(p->body, p->len, h->input, h->len, &share);
		if (d >= 0) {
			g->st.handoffs++;
			if (span__set_str(s, GN_HANDOFF, drift__name(d)) ||
			    span__set_double(s, GN_HANDOFF_SHARE, share))
				g->st.nomem++;
		} else if (d == -ENOMEM) {
			g->st.nomem++;
		}
		entry__release(h);
	}
	held__release(p);
}
