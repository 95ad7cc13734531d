// SPDX-License-Identifier: MIT
/*
 * Conversations and turns. A call joins a conversation by, in order: the
 * Responses previous_response_id, a tool result whose call id is open in
 * a turn, or its input extending a known conversation's last input (with
 * or without that call's output). A new user message starts a turn; an
 * answer with no tool calls ends it; so do idleness, eviction, shutdown.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "conn/stream.h"
#include "graph/internal.h"
#include "graph/names.h"
#include "graph/norm.h"
#include "tools/digest.h"
#include "trace/semconv.h"

struct graph *graph__new(const struct graph_cfg *cfg)
{
	struct graph *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->cfg = *cfg;
	if (!g->cfg.idle_ms)
		g->cfg.idle_ms = GRAPH_IDLE_DEFAULT_MS;
	memset(g->tail_head, 0xff, sizeof(g->tail_head));
	g->next_expiry = UINT64_MAX;
	g->ids = ids__new();
	if (!g->ids) {
		free(g);
		return NULL;
	}
	return g;
}

/* ---- the tail index: which conversation a rolling hash ends ---- */

static uint64_t tail_of(const struct graph *g, int node)
{
	const struct conv *c = &g->convs[node / 2];

	return node & 1 ? c->tail_full : c->tail_in;
}

static void tails__unlink(struct graph *g, int node)
{
	int16_t *p = &g->tail_head[tail_of(g, node) % GRAPH_TAIL_BUCKETS];

	while (*p >= 0 && *p != node)
		p = &g->tail_next[*p];
	if (*p == node)
		*p = g->tail_next[node];
}

static void tails__link(struct graph *g, int node)
{
	int16_t *head = &g->tail_head[tail_of(g, node) % GRAPH_TAIL_BUCKETS];

	g->tail_next[node] = *head;
	*head = (int16_t)node;
}

/* Sets c's tails, keeping the index in step. */
static void tails__set(struct graph *g, struct conv *c, uint64_t in, uint64_t full)
{
	int node = (int)(c - g->convs) * 2;

	if (c->tail_in || c->tail_full) {
		tails__unlink(g, node);
		tails__unlink(g, node + 1);
	}
	c->tail_in = in;
	c->tail_full = full;
	if (in || full) {
		tails__link(g, node);
		tails__link(g, node + 1);
	}
}

/* The conversation of tgid whose tail is h (the lowest slot when several). */
static struct conv *tails__find(struct graph *g, uint32_t tgid, uint64_t h)
{
	struct conv *best = NULL;

	for (int n = g->tail_head[h % GRAPH_TAIL_BUCKETS]; n >= 0; n = g->tail_next[n]) {
		struct conv *c = &g->convs[n / 2];

		if (c->used && c->tgid == tgid && tail_of(g, n) == h && (!best || c < best))
			best = c;
	}
	return best;
}

static void end_turn(struct graph *g, struct conv *c, const char *reason, uint64_t end_ns)
{
	struct turn *t = &c->turn;

	if (!t->open)
		return;
	if (end_ns > t->end_ns)
		t->end_ns = end_ns;
	for (size_t i = 0; i < t->n_w; i++) {
		spans__tool(g, c, &t->w[i], NULL, NULL, t->end_ns);
		window__release(g, &t->w[i]);
	}
	t->n_w = 0;
	spans__turn(g, c, reason);
	t->open = false;
}

/* ---- use order of the conversations (eviction) ---- */

static uint16_t conv_ref(const struct graph *g, const struct conv *c)
{
	return (uint16_t)(c - g->convs + 1);
}

static void lru__unlink(struct graph *g, struct conv *c)
{
	uint16_t me = conv_ref(g, c);

	if (g->lru_head != me && !c->lru_prev)
		return; /* not in the list */
	if (c->lru_prev)
		g->convs[c->lru_prev - 1].lru_next = c->lru_next;
	else
		g->lru_head = c->lru_next;
	if (c->lru_next)
		g->convs[c->lru_next - 1].lru_prev = c->lru_prev;
	else
		g->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = 0;
}

/* c was just used: the list's tail. */
static void lru__touch(struct graph *g, struct conv *c)
{
	uint16_t me = conv_ref(g, c);

	if (g->lru_tail == me)
		return;
	lru__unlink(g, c);
	c->lru_prev = g->lru_tail;
	if (g->lru_tail)
		g->convs[g->lru_tail - 1].lru_next = me;
	else
		g->lru_head = me;
	g->lru_tail = me;
}

/* Forgets c; its turn must be ended (no windows left). The windows'
 * memory is not cleared: a turn starts with n_w == 0. */
static void conv__release(struct graph *g, struct conv *c)
{
	free(c->last_response_id);
	c->last_response_id = NULL;
	tails__set(g, c, 0, 0);
	lru__unlink(g, c);
	g->n_used -= c->used;
	c->used = false;
	c->id[0] = '\0';
	c->turn.open = false;
	c->turn.n_w = 0;
}

void graph__free(struct graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < GRAPH_MAX_CONVS; i++) {
		if (g->convs[i].turn.open)
			g->st.turns_shutdown++;
		end_turn(g, &g->convs[i], GN_END_SHUTDOWN, 0);
		conv__release(g, &g->convs[i]);
	}
	facts__release(&g->facts);
	handoff__free(g);
	ids__free(g->ids);
	free(g);
}

void graph__stats(const struct graph *g, struct graph_stats *out)
{
	*out = g->st;
}

void graph__observe_llm(void *ctx, const struct genai_call *c, const struct json_t *req,
			struct span *s)
{
	struct graph *g = ctx;

	if (facts__take(&g->facts, c, req, s))
		g->st.nomem++;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void release_probe(struct graph *g)
{
	json_decref(g->probe.msgs);
	json_decref(g->probe.sys);
	memset(&g->probe, 0, sizeof(g->probe));
}

void graph__after_context(struct graph *g, struct span *s)
{
	struct turn *t = g->decided.turn;
	bool window = t && memcmp(g->decided.span_id, t->span_id, 8);

	if (s == g->probe.s)
		handoff__on_llm(g, s);
	release_probe(g);
	if (s->kind == SPAN_KIND_SERVER)
		handoff__on_server(g, s);
	if (g->decided.s != s || !t)
		return;
	g->decided.s = NULL;
	if (all_zero(s->parent_span_id, 8)) {
		/* no other rule placed it: the turn (or tool window) does */
		memcpy(s->trace_id, g->decided.trace_id, 16);
		memcpy(s->parent_span_id, g->decided.span_id, 8);
		s->trace_flags = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM;
		free(s->trace_state);
		s->trace_state = NULL;
		if (span__set_str(s, TS_PARENT_SOURCE, window ? GN_PARENT_TOOL_WINDOW
							       : GN_PARENT_AGENT_TURN))
			g->st.nomem++;
		return;
	}
	/* An enclosing context (a served request, a traceparent) placed the
	 * turn's first call: the turn joins it, invoke_agent under that span.
	 * Spans of the turn in that trace keep the turn's parentage. */
	if (t->llm_calls == 1 && !window && memcmp(t->trace_id, s->trace_id, 16)) {
		memcpy(t->trace_id, s->trace_id, 16);
		memcpy(t->parent_span_id, s->parent_span_id, 8);
		memcpy(g->decided.trace_id, s->trace_id, 16);
		g->st.turns_in_context++;
	}
	if (!memcmp(s->trace_id, g->decided.trace_id, 16))
		memcpy(s->parent_span_id, g->decided.span_id, 8);
}

static void decide(struct graph *g, const struct span *s, struct turn *t,
		   const uint8_t trace_id[16], const uint8_t span_id[8])
{
	g->decided.s = s;
	g->decided.turn = t;
	memcpy(g->decided.trace_id, trace_id, 16);
	memcpy(g->decided.span_id, span_id, 8);
}

/* ---- finding a call's conversation ---- */

static struct window *find_window(struct conv *c, const char *id)
{
	for (size_t i = 0; c->turn.open && id && i < c->turn.n_w; i++)
		if (c->turn.w[i].id && !strcmp(c->turn.w[i].id, id))
			return &c->turn.w[i];
	return NULL;
}

static struct conv *by_response_id(struct graph *g, uint32_t tgid, const char *id)
{
	for (size_t i = 0; id && i < GRAPH_MAX_CONVS; i++) {
		struct conv *c = &g->convs[i];

		if (c->used && c->tgid == tgid && c->last_response_id &&
		    !strcmp(c->last_response_id, id))
			return c;
	}
	return NULL;
}

static struct conv *by_result_id(struct graph *g, uint32_t tgid, const struct facts *f)
{
	for (size_t k = 0; k < f->n_results; k++)
		for (size_t i = 0; i < GRAPH_MAX_CONVS; i++)
			if (g->convs[i].used && g->convs[i].tgid == tgid &&
			    find_window(&g->convs[i], f->results[k].id))
				return &g->convs[i];
	return NULL;
}

/* The conversation whose last input (or input + output) is the longest
 * prefix of this input. */
static struct conv *by_prefix(struct graph *g, uint32_t tgid, const struct facts *f)
{
	for (size_t k = f->n_msgs; k-- > 0;) {
		struct conv *c = tails__find(g, tgid, f->roll[k]);

		if (c)
			return c;
	}
	return NULL;
}

/* The first free slot, or when the table is full the least recently used
 * conversation (the use list's head: every used one was used once, in
 * on_llm, right after it was made). */
static struct conv *new_conv(struct graph *g, uint32_t tgid, uint64_t now_ns)
{
	struct conv *c = NULL;

	if (g->n_used == GRAPH_MAX_CONVS && g->lru_head)
		c = &g->convs[g->lru_head - 1];
	for (size_t i = 0; !c && i < GRAPH_MAX_CONVS; i++)
		if (!g->convs[i].used)
			c = &g->convs[i];
	if (!c) /* unreachable: a full table's conversations are all listed */
		c = &g->convs[0];
	if (c->used) {
		if (c->turn.open)
			g->st.turns_evicted++;
		end_turn(g, c, GN_END_EVICTED, now_ns);
		conv__release(g, c);
	}
	c->used = true;
	g->n_used++;
	c->tgid = tgid;
	g->st.conversations++;
	return c;
}

static struct conv *find_conv(struct graph *g, uint32_t tgid, const struct facts *f,
			      uint64_t now_ns)
{
	struct conv *c = by_response_id(g, tgid, f->prev_response_id);

	if (!c)
		c = by_result_id(g, tgid, f);
	if (!c && f->n_msgs)
		c = by_prefix(g, tgid, f);
	if (c) {
		g->st.chained++;
		return c;
	}
	return new_conv(g, tgid, now_ns);
}

/* ---- turns ---- */

static int start_turn(struct graph *g, struct conv *c, const struct span *s)
{
	struct turn *t = &c->turn;
	int err;

	/* the windows are empty (n_w == 0): no need to clear them */
	memset(t, 0, offsetof(struct turn, w));
	t->n_w = 0;
	err = ids__trace_id(g->ids, t->trace_id);
	if (!err)
		err = ids__span_id(g->ids, t->span_id);
	if (err)
		return err;
	t->open = true;
	t->start_ns = t->end_ns = s->start_ns;
	t->proc = s->proc;
	g->st.turns++;
	return 0;
}

/* Closes the windows whose results s carries: by call id, or in order
 * for providers without ids. */
static void consume_results(struct graph *g, struct conv *c, const struct facts *f,
			    struct span *s)
{
	struct turn *t = &c->turn;

	for (size_t k = 0; k < f->n_results; k++) {
		const struct facts_result *r = &f->results[k];
		struct window *w = NULL;

		if (r->id) {
			w = find_window(c, r->id);
		} else {
			for (size_t i = 0; i < t->n_w && !w; i++)
				if (!t->w[i].id)
					w = &t->w[i];
		}
		if (!w) {
			g->st.results_unmatched++;
			continue;
		}
		spans__tool(g, c, w, r, s, s->start_ns);
		window__release(g, w);
		memmove(w, w + 1, (size_t)(t->w + t->n_w - (w + 1)) * sizeof(*w));
		t->n_w--;
	}
}

static int open_windows(struct graph *g, struct conv *c, const struct facts *f,
			const struct span *s)
{
	struct turn *t = &c->turn;

	for (size_t i = 0; i < f->n_tools; i++) {
		const struct facts_tool *ft = &f->tools[i];
		struct window *w;

		if (t->n_w == GRAPH_MAX_WINDOWS) {
			g->st.windows_dropped++;
			continue;
		}
		w = &t->w[t->n_w];
		memset(w, 0, sizeof(*w));
		if (ids__span_id(g->ids, w->span_id))
			return -EIO;
		w->start_ns = s->end_ns;
		w->args_len = ft->args_len;
		if ((ft->id && !(w->id = strdup(ft->id))) ||
		    (ft->name && !(w->name = strdup(ft->name))) ||
		    (ft->args && !(w->args = strndup(ft->args, ft->args_len))) ||
		    match__arg_values(w)) {
			window__release(g, w);
			return -ENOMEM;
		}
		t->n_w++;
		t->tool_calls++;
		g->st.tool_calls++;
	}
	return 0;
}

static int set_llm_attrs(struct conv *c, struct span *s, const struct facts *f)
{
	char h[DIGEST_HEX_LEN];
	int err = span__set_str(s, GN_GEN_AI_CONVERSATION_ID, c->id);

	digest__hex(f->in_hash, h);
	err |= span__set_str(s, GN_INPUT_HASH, h);
	digest__hex(f->out_hash, h);
	err |= span__set_str(s, GN_OUTPUT_HASH, h);
	return err;
}

static void remember(struct graph *g, struct conv *c, struct facts *f)
{
	tails__set(g, c, f->in_hash, norm__roll(f->in_hash, f->out_hash));
	free(c->last_response_id);
	c->last_response_id = f->response_id; /* moved */
	f->response_id = NULL;
}

static void on_llm(struct graph *g, struct span *s, uint32_t tgid)
{
	struct facts *f = &g->facts;
	struct conv *c = find_conv(g, tgid, f, s->start_ns);
	struct turn *t = &c->turn;

	g->st.llm_calls++;
	lru__touch(g, c);
	if (f->conversation)
		snprintf(c->id, sizeof(c->id), "%s", f->conversation);
	else if (!c->id[0])
		digest__hex(f->in_hash, c->id);
	if (set_llm_attrs(c, s, f))
		g->st.nomem++;
	if (t->open && f->new_user) {
		g->st.turns_new_user++;
		end_turn(g, c, GN_END_NEW_USER_MESSAGE, 0);
	}
	/* A turn is an agent's: it starts with a call that offers the model
	 * tools, asks for some or hands results back; an answer without tools
	 * is a one-call turn. A plain chat call (no tools anywhere) is no
	 * agent's and stays a span of its own. */
	if (!t->open && !f->n_tools && !f->n_results && !f->offers_tools) {
		remember(g, c, f);
		return;
	}
	if (!t->open && start_turn(g, c, s)) {
		g->st.nomem++;
		return;
	}
	consume_results(g, c, f, s);
	if (open_windows(g, c, f, s))
		g->st.nomem++;
	decide(g, s, t, t->trace_id, t->span_id);
	remember(g, c, f);
	t->llm_calls++;
	if (s->end_ns > t->end_ns)
		t->end_ns = s->end_ns;
	t->last_ns = t->end_ns;
	if (t->last_ns + (uint64_t)g->cfg.idle_ms * 1000000ull < g->next_expiry)
		g->next_expiry = t->last_ns + (uint64_t)g->cfg.idle_ms * 1000000ull;
	if (f->final) {
		g->st.turns_final++;
		end_turn(g, c, GN_END_FINAL_ANSWER, s->end_ns);
	}
}

static void keep_output(struct graph *g, struct window *w, const struct span *s,
			const struct http_exchange *x)
{
	size_t n = 0;
	char *o;

	if (x->resp.body_len > GRAPH_OUTPUT_MAX ||
	    g->output_bytes - w->output_len + x->resp.body_len > GRAPH_OUTPUT_BUDGET) {
		g->st.output_over_budget++;
		return;
	}
	o = output__of(s, x, &n);
	if (!o)
		return;
	g->output_bytes -= w->output_len;
	free(w->output);
	w->output = o;
	w->output_len = n;
	g->output_bytes += n;
}

static void on_tool(struct graph *g, struct span *s, const struct http_exchange *x)
{
	struct conv *c = NULL;
	const char *rule = NULL;
	struct window *w = match__child(g, s, x, &rule, &c);

	if (!w)
		return;
	if (span__set_str(s, GN_TOOL_MATCH, rule))
		g->st.nomem++;
	w->n_children++;
	keep_output(g, w, s, x);
	if (s->end_ns > c->turn.last_ns)
		c->turn.last_ns = s->end_ns;
	decide(g, s, &c->turn, c->turn.trace_id, w->span_id);
}

static void expire(struct graph *g, uint64_t now_ns)
{
	uint64_t idle = (uint64_t)g->cfg.idle_ms * 1000000ull, next = UINT64_MAX;

	/* a turn's deadline only moves later: until the earliest one noted,
	 * nothing can have gone idle */
	if (now_ns <= g->next_expiry)
		return;
	for (size_t i = 0; i < GRAPH_MAX_CONVS; i++) {
		struct conv *c = &g->convs[i];

		if (!c->turn.open)
			continue;
		if (c->turn.last_ns + idle < now_ns) {
			g->st.turns_timeout++;
			end_turn(g, c, GN_END_IDLE_TIMEOUT, c->turn.last_ns);
		} else if (c->turn.last_ns + idle < next) {
			next = c->turn.last_ns + idle;
		}
	}
	g->next_expiry = next;
}

void graph__on_span(struct graph *g, struct span *s, const struct http_exchange *x)
{
	uint32_t tgid = x && x->conn ? x->conn->tgid : s->proc.pid;

	g->decided.s = NULL;
	release_probe(g);
	/* replayed captures have no clock ticks: their own time drives expiry */
	expire(g, s->start_ns);
	if (g->facts.s == s) {
		on_llm(g, s, tgid);
		/* its input waits for graph__after_context (handoff.c) */
		g->probe.s = s;
		g->probe.msgs = g->facts.in_msgs;
		g->probe.sys = g->facts.sys;
		g->facts.in_msgs = g->facts.sys = NULL;
	} else if (s->kind == SPAN_KIND_CLIENT) {
		on_tool(g, s, x);
	} else if (x && x->inbound && x->conn) {
		handoff__on_served(g, s, x);
	}
	facts__release(&g->facts);
}

void graph__tick(struct graph *g, uint64_t now_mono_ns)
{
	expire(g, now_mono_ns + g->cfg.mono_to_real_ns);
}
