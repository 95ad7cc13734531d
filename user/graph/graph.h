/* SPDX-License-Identifier: MIT */
/*
 * The causal agent graph: connects LLM calls through what the model
 * caused. It reconstructs conversations from the wire (rolling hashes of
 * normalised messages, Responses previous_response_id, tool-call ids),
 * groups a conversation's calls into turns rooted at an invoke_agent span,
 * opens an execute_tool span per tool call a model asked for (from the end
 * of that response to the first byte of the request carrying the result),
 * makes the tool traffic in that window its child, links the consuming LLM
 * call to it, and measures how much of the tool's output reached the model.
 *
 * Bounded: GRAPH_MAX_CONVS conversations (least recently used evicted, its
 * open turn ended), GRAPH_MAX_WINDOWS open tool calls per turn, tool
 * outputs kept up to GRAPH_OUTPUT_MAX bytes each and GRAPH_OUTPUT_BUDGET in
 * all; everything over a cap is counted. Runs on the parsing thread; not
 * thread-safe.
 */
#ifndef AR_GRAPH_GRAPH_H
#define AR_GRAPH_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/http_types.h"
#include "trace/span.h"

#define GRAPH_MAX_CONVS 256
#define GRAPH_MAX_WINDOWS 64
#define GRAPH_OUTPUT_MAX 65536
#define GRAPH_OUTPUT_BUDGET (16u << 20)
#define GRAPH_IDLE_DEFAULT_MS 30000

struct graph_cfg {
	bool capture_content;   /* tool arguments and results on execute_tool */
	uint32_t idle_ms;       /* a quiet turn ends after this; 0 = default */
	uint64_t mono_to_real_ns;
	/* Takes the spans the graph makes (invoke_agent, execute_tool); owns them. */
	void (*emit)(void *ctx, struct span *s);
	void *emit_ctx;
};

struct graph_stats {
	uint64_t llm_calls;       /* chat calls placed in a turn */
	uint64_t conversations;   /* started */
	uint64_t chained;         /* calls that continued a known conversation */
	uint64_t turns;           /* started */
	uint64_t turns_final, turns_new_user, turns_timeout, turns_evicted, turns_shutdown;
	uint64_t turns_in_context; /* rooted under an enclosing request's span */
	uint64_t tool_calls;      /* execute_tool windows opened */
	uint64_t tools_consumed;  /* closed by a request carrying the result */
	uint64_t tools_not_executed;
	uint64_t windows_dropped; /* over GRAPH_MAX_WINDOWS */
	uint64_t results_unmatched; /* a tool result for no open window */
	uint64_t child_mcp, child_args, child_order; /* tool traffic matched, by rule */
	uint64_t links;
	uint64_t drift_unchanged, drift_truncated, drift_transformed;
	uint64_t output_over_budget; /* tool output not kept: over a cap */
	uint64_t handoffs;          /* served requests whose hand-off share was set */
	uint64_t handoffs_unmatched; /* first inputs whose SERVER span never came */
	uint64_t nomem;
};

struct graph;
struct genai_call;
struct json_t;

/* Returns NULL on -ENOMEM. */
struct graph *graph__new(const struct graph_cfg *cfg);
/* Ends every open turn (end reason "shutdown"), emits, and frees. */
void graph__free(struct graph *g);

/* The gen_ai stage's observer (genai_cfg.observe, ctx = the graph):
 * remembers the call's facts for the graph__on_span that follows. */
void graph__observe_llm(void *g, const struct genai_call *c, const struct json_t *req,
			struct span *s);

/*
 * Places s, whose process identity is already stamped, before its trace
 * context is decided (graph__after_context applies the placement): an
 * observed LLM call joins (or starts) a turn, gets gen_ai.conversation.id,
 * the input/output hashes and links to the tool spans whose results it
 * carries; other client calls become children of the execute_tool window
 * they fall in. May emit finished spans. Out of memory leaves s unplaced
 * (counted).
 */
void graph__on_span(struct graph *g, struct span *s, const struct http_exchange *x);

/*
 * After the trace context (trace/parent.h) decided s: a span the graph
 * placed and no rule did (a new trace) becomes the child of its turn or
 * tool window (agentrace.parent.source agent_turn / execute_tool). When a
 * rule placed a turn's first call (an enclosing served request, a
 * traceparent), the turn joins that context: invoke_agent under that
 * span, the turn's spans in that trace under the turn.
 */
void graph__after_context(struct graph *g, struct span *s);

/* Ends turns quiet for longer than the idle time (now: monotonic ns). */
void graph__tick(struct graph *g, uint64_t now_mono_ns);

void graph__stats(const struct graph *g, struct graph_stats *out);

#endif
