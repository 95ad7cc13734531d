// SPDX-License-Identifier: MIT
/* The spans the graph makes: invoke_agent per turn, execute_tool per tool
 * call, and the links from consuming LLM calls to their tool spans. */
#include <stdlib.h>
#include <string.h>

#include "genai/semconv.h"
#include "graph/drift.h"
#include "graph/internal.h"
#include "graph/names.h"

void window__release(struct graph *g, struct window *w)
{
	free(w->id);
	free(w->name);
	free(w->args);
	for (size_t i = 0; i < w->n_values; i++)
		free(w->values[i]);
	g->output_bytes -= w->output_len;
	free(w->output);
	memset(w, 0, sizeof(*w));
}

/* A span in c's turn, child of the turn's root, or NULL on -ENOMEM. */
static struct span *turn_child(const struct conv *c, const char *name,
			       const uint8_t span_id[8])
{
	struct span *s = span__new(name, SPAN_KIND_INTERNAL);

	if (!s)
		return NULL;
	memcpy(s->trace_id, c->turn.trace_id, 16);
	memcpy(s->span_id, span_id, 8);
	memcpy(s->parent_span_id, c->turn.span_id, 8);
	s->trace_flags = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM;
	s->proc = c->turn.proc;
	return s;
}

static int set_drift(struct graph *g, struct span *s, const struct window *w,
		     const struct facts_result *r)
{
	double share = 0;
	int d;

	if (!w->output)
		return 0;
	d = drift__compare(w->output, w->output_len, r->text, r->len, &share);
	if (d < 0)
		return d;
	if (d == DRIFT_UNCHANGED)
		g->st.drift_unchanged++;
	else if (d == DRIFT_TRUNCATED)
		g->st.drift_truncated++;
	else
		g->st.drift_transformed++;
	return span__set_str(s, GN_DRIFT, drift__name(d)) |
	       span__set_double(s, GN_DRIFT_SHARE, share);
}

void spans__tool(struct graph *g, struct conv *c, struct window *w,
		 const struct facts_result *r, struct span *consumer, uint64_t end_ns)
{
	char name[GENAI_STR_MAX + 16];
	struct span_link *l;
	struct span *s;
	int err;

	span__join_name(name, sizeof(name), GN_OP_EXECUTE_TOOL, w->name ? w->name : "");
	s = turn_child(c, name, w->span_id);
	if (!s)
		goto nomem;
	s->start_ns = w->start_ns;
	s->end_ns = end_ns > w->start_ns ? end_ns : w->start_ns;
	err = span__set_str(s, SC_GEN_AI_OPERATION_NAME, GN_OP_EXECUTE_TOOL);
	if (w->name)
		err |= span__set_str(s, SC_GEN_AI_TOOL_NAME, w->name);
	if (w->id)
		err |= span__set_str(s, SC_GEN_AI_TOOL_CALL_ID, w->id);
	err |= span__set_str(s, SC_GEN_AI_TOOL_TYPE, SC_TOOL_TYPE_FUNCTION);
	err |= span__set_str(s, GN_GEN_AI_CONVERSATION_ID, c->id);
	if (g->cfg.capture_content && w->args)
		err |= span__set_str(s, SC_GEN_AI_TOOL_CALL_ARGUMENTS, w->args);
	if (r) {
		if (g->cfg.capture_content)
			err |= attrs__set_strn(&s->attrs, GN_GEN_AI_TOOL_CALL_RESULT, r->text,
					       r->len);
		err |= set_drift(g, s, w, r);
		g->st.tools_consumed++;
	} else {
		s->status = SPAN_STATUS_ERROR;
		err |= span__set_str(s, SC_ERROR_TYPE, GN_ERR_NOT_EXECUTED);
		g->st.tools_not_executed++;
	}
	if (consumer) {
		l = span__add_link(consumer, s->trace_id, s->span_id);
		if (!l || (w->id && attrs__set_str(&l->attrs, SC_GEN_AI_TOOL_CALL_ID, w->id)))
			err = -1;
		g->st.links++;
	}
	if (err) {
		span__free(s);
		goto nomem;
	}
	g->cfg.emit(g->cfg.emit_ctx, s);
	return;
nomem:
	g->st.nomem++;
}

void spans__turn(struct graph *g, struct conv *c, const char *end_reason)
{
	const struct turn *t = &c->turn;
	const char *agent = t->proc.service_name[0] ? t->proc.service_name : t->proc.exe_name;
	char name[sizeof(t->proc.service_name) + 16];
	struct span *s;
	int err;

	span__join_name(name, sizeof(name), GN_OP_INVOKE_AGENT, agent);
	s = span__new(name, SPAN_KIND_INTERNAL);
	if (!s) {
		g->st.nomem++;
		return;
	}
	memcpy(s->trace_id, t->trace_id, 16);
	memcpy(s->span_id, t->span_id, 8);
	memcpy(s->parent_span_id, t->parent_span_id, 8);
	s->trace_flags = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM;
	s->proc = t->proc;
	s->start_ns = t->start_ns;
	s->end_ns = t->end_ns;
	err = span__set_str(s, SC_GEN_AI_OPERATION_NAME, GN_OP_INVOKE_AGENT);
	err |= span__set_str(s, GN_GEN_AI_AGENT_NAME, agent);
	err |= span__set_str(s, GN_GEN_AI_CONVERSATION_ID, c->id);
	err |= span__set_str(s, GN_TURN_END, end_reason);
	err |= span__set_int(s, GN_TURN_LLM_CALLS, t->llm_calls);
	err |= span__set_int(s, GN_TURN_TOOL_CALLS, t->tool_calls);
	err |= span__set_int(s, "process.pid", t->proc.pid);
	err |= span__set_str(s, "process.executable.name", t->proc.exe_name);
	if (err) {
		span__free(s);
		g->st.nomem++;
		return;
	}
	g->cfg.emit(g->cfg.emit_ctx, s);
}
