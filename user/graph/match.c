// SPDX-License-Identifier: MIT
/*
 * Which execute_tool window a call observed on the wire belongs to. Tried
 * in order, over the open windows of the caller's process that began
 * before the call did:
 *   1. an MCP tools/call naming the window's tool;
 *   2. a call whose request (body or URL) carries every argument value;
 *   3. the calls in order: the first window with no child yet, only when
 *      one turn of the process has windows open (else it is a guess).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conn/stream.h"
#include "genai/semconv.h"
#include "graph/internal.h"
#include "graph/names.h"
#include "graph/norm.h"
#include "tools/names.h"

static int add_value(void *ctx, const char *s, size_t n)
{
	struct window *w = ctx;

	if (!n || n > GRAPH_ARG_VALUE_MAX || w->n_values == GRAPH_MAX_ARG_VALUES)
		return 0;
	w->values[w->n_values] = strndup(s, n);
	if (!w->values[w->n_values])
		return -ENOMEM;
	w->n_values++;
	return 0;
}

/* Strings and integers at the leaves. */
int match__arg_values(struct window *w)
{
	json_t *v;
	int err;

	if (!w->args)
		return 0;
	v = json_loadb(w->args, w->args_len, JSON_DECODE_ANY, NULL);
	if (!v)
		return 0;
	err = norm__leaves(v, true, add_value, w);
	json_decref(v);
	return err;
}

/* s percent-encoded as a query value (space as "%20", or as "+"). */
static void url_encode(const char *s, char *out, size_t cap, bool plus)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else if (c == ' ' && plus) {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static bool carried(const struct http_exchange *x, const char *v)
{
	char enc[3 * GRAPH_ARG_VALUE_MAX + 1];
	const char *t = x->target ? x->target : "";
	size_t n = strlen(v);

	if (x->req.body && memmem(x->req.body, x->req.body_len, v, n))
		return true;
	if (strstr(t, v))
		return true;
	url_encode(v, enc, sizeof(enc), false);
	if (strstr(t, enc))
		return true;
	url_encode(v, enc, sizeof(enc), true);
	return strstr(t, enc) != NULL;
}

static bool args_match(const struct window *w, const struct http_exchange *x)
{
	if (!w->n_values)
		return false;
	for (size_t i = 0; i < w->n_values; i++)
		if (!carried(x, w->values[i]))
			return false;
	return true;
}

static const char *str_attr(const struct span *s, const char *key)
{
	const struct attr *a = span__get(s, key);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

/* Better: a window with no child yet; then the earliest. */
static void consider(struct window *w, struct conv *c, struct window **best,
		     struct conv **owner)
{
	if (!*best || ((*best)->n_children && !w->n_children)) {
		*best = w;
		*owner = c;
	}
}

struct window *match__child(struct graph *g, const struct span *s,
			    const struct http_exchange *x, const char **rule,
			    struct conv **owner)
{
	struct window *by_name = NULL, *by_args = NULL, *by_order = NULL;
	struct conv *c_name = NULL, *c_args = NULL, *c_order = NULL;
	const char *method, *tool;
	size_t turns = 0;

	/* No conversation, no parent: a host without agents skips the
	 * 256-slot scan (1.6k instructions a call under callgrind). */
	if (!x || !x->conn || !g->n_used)
		return NULL;
	method = str_attr(s, TN_MCP_METHOD_NAME);
	tool = str_attr(s, SC_GEN_AI_TOOL_NAME);
	for (size_t i = 0; i < GRAPH_MAX_CONVS; i++) {
		struct conv *c = &g->convs[i];
		bool any = false;

		if (!c->used || c->tgid != x->conn->tgid || !c->turn.open)
			continue;
		for (size_t k = 0; k < c->turn.n_w; k++) {
			struct window *w = &c->turn.w[k];

			if (w->start_ns > s->start_ns)
				continue;
			any = true;
			if (method && tool && !strcmp(method, "tools/call") && w->name &&
			    !strcmp(w->name, tool))
				consider(w, c, &by_name, &c_name);
			else if (args_match(w, x))
				consider(w, c, &by_args, &c_args);
			if (!w->n_children && !by_order) {
				by_order = w;
				c_order = c;
			}
		}
		turns += any;
	}
	if (by_name) {
		*rule = GN_MATCH_MCP_TOOL_NAME;
		*owner = c_name;
		g->st.child_mcp++;
		return by_name;
	}
	if (by_args) {
		*rule = GN_MATCH_ARGUMENT_VALUES;
		*owner = c_args;
		g->st.child_args++;
		return by_args;
	}
	if (by_order && turns == 1) {
		*rule = GN_MATCH_ORDER;
		*owner = c_order;
		g->st.child_order++;
		return by_order;
	}
	return NULL;
}
