/* SPDX-License-Identifier: MIT */
/* The graph stage's state, shared by its files (graph.c: conversations
 * and turns; match.c: tool children; spans.c: the spans it makes). */
#ifndef AR_GRAPH_INTERNAL_H
#define AR_GRAPH_INTERNAL_H

#include "graph/facts.h"
#include "graph/graph.h"
#include "trace/ids.h"

#define GRAPH_MAX_ARG_VALUES 8   /* argument values kept for matching */
#define GRAPH_ARG_VALUE_MAX 256  /* longer values are not used */
#define GRAPH_CONV_ID_MAX 256
#define GRAPH_MAX_HANDOFFS 32    /* served requests awaiting their SERVER span */
#define GRAPH_TAIL_BUCKETS 1024  /* hash index of the conversations' tails */

/* One tool call the model asked for: an execute_tool span in the making. */
struct window {
	uint8_t span_id[8];
	char *id, *name;          /* id NULL when the provider has none */
	char *args;               /* arguments JSON text, may be NULL */
	size_t args_len;
	char *values[GRAPH_MAX_ARG_VALUES]; /* leaf argument values as text */
	size_t n_values;
	uint64_t start_ns;        /* end of the response that asked */
	uint32_t n_children;
	char *output;             /* the last child's tool output, bounded */
	size_t output_len;
};

/* One user turn: a trace rooted at an invoke_agent span. */
struct turn {
	bool open;
	uint8_t trace_id[16], span_id[8];
	uint8_t parent_span_id[8];  /* the enclosing context's span, or zero */
	uint64_t start_ns, end_ns, last_ns; /* unix ns; last_ns: last activity */
	uint32_t llm_calls, tool_calls;
	struct window w[GRAPH_MAX_WINDOWS];
	size_t n_w;
	struct span_process proc;
};

struct conv {
	bool used;
	uint32_t tgid;
	uint64_t tail_in, tail_full; /* hash after the last call's input / + output */
	char *last_response_id;
	char id[GRAPH_CONV_ID_MAX];  /* gen_ai.conversation.id */
	uint16_t lru_prev, lru_next; /* index + 1 in graph's use order; 0: none */
	struct turn turn;
};

/* The first LLM input under one served request (handoff.c). */
struct handoff {
	bool used;
	uint32_t tgid;
	uint8_t server_span_id[8];
	char *input;              /* handoff__input_text, bounded */
	size_t len;
};

/* A served request's body, until its SERVER span's ids are decided. */
struct held_payload {
	const struct span *s;     /* compared, never dereferenced */
	uint64_t start_ns;
	char *body;
	size_t len;
};

struct graph {
	struct graph_cfg cfg;
	struct ids *ids;
	struct conv convs[GRAPH_MAX_CONVS];
	/* used conversations by last use, least recent first (index + 1,
	 * 0: none): eviction takes the head instead of scanning the table */
	uint16_t lru_head, lru_tail;
	size_t n_used;
	/* conversations by tail hash (graph.c, tails__*): chains of nodes
	 * conv * 2 + (0: tail_in, 1: tail_full); -1 ends a chain */
	int16_t tail_head[GRAPH_TAIL_BUCKETS];
	int16_t tail_next[2 * GRAPH_MAX_CONVS];
	uint64_t next_expiry;        /* no open turn goes idle before this (ns) */
	size_t output_bytes;         /* tool outputs kept, all windows */
	struct facts facts;          /* of the last observed call */
	struct {
		const struct span *s;
		struct turn *turn;       /* the turn s belongs to */
		uint8_t trace_id[16], span_id[8];
	} decided;
	/* the last LLM call's input, for handoff__on_llm */
	struct {
		const struct span *s;
		json_t *msgs, *sys;
	} probe;
	struct handoff ho[GRAPH_MAX_HANDOFFS];
	struct held_payload hp[GRAPH_MAX_HANDOFFS];
	size_t ho_next, hp_next;
	struct graph_stats st;
};

/* match.c */
/* Fills w->values from w->args. Returns 0 or -ENOMEM. */
int match__arg_values(struct window *w);
/* The open window x/s belongs to, with the rule (GN_MATCH_*) in *rule;
 * NULL when none. *owner gets the window's conversation. */
struct window *match__child(struct graph *g, const struct span *s,
			    const struct http_exchange *x, const char **rule,
			    struct conv **owner);

/* output.c */
/* What the tool call s/x answered (malloc'd, *len set), or NULL. */
char *output__of(const struct span *s, const struct http_exchange *x, size_t *len);

/* spans.c */
/* Emits the execute_tool span of w, consumed by the LLM call s (NULL:
 * never executed, the turn ends at end_ns), and links s to it. */
void spans__tool(struct graph *g, struct conv *c, struct window *w,
		 const struct facts_result *r, struct span *s, uint64_t end_ns);
/* Emits the invoke_agent span of c's turn. */
void spans__turn(struct graph *g, struct conv *c, const char *end_reason);
void window__release(struct graph *g, struct window *w);

/* handoff.c */
/* s (an LLM call, probe set) was placed: keeps its input when it is the
 * first call under a served request. */
void handoff__on_llm(struct graph *g, const struct span *s);
/* s/x is a served request: keeps its body while a hand-off may wait. */
void handoff__on_served(struct graph *g, const struct span *s, const struct http_exchange *x);
/* s, a SERVER span, has its ids: sets the hand-off share on it. */
void handoff__on_server(struct graph *g, struct span *s);
void handoff__free(struct graph *g);

#endif
