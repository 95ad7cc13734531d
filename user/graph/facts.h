/* SPDX-License-Identifier: MIT */
/*
 * What the causal graph needs to know about one LLM call, taken from the
 * gen_ai stage's call record while it is alive (genai_cfg.observe) and
 * kept until graph__on_span places the span. Provider-neutral: it reads
 * the semconv message shapes every provider fills (genai/content.h).
 */
#ifndef AR_GRAPH_FACTS_H
#define AR_GRAPH_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "genai/call.h"
#include "trace/span.h"

#define FACTS_MAX_MSGS 1024   /* input messages hashed; later ones are ignored */
#define FACTS_MAX_RESULTS 32  /* tool results taken from one request */

struct facts_result {
	char *id;       /* NULL when the provider carries none (Gemini, Ollama) */
	char *text;     /* the result as passed to the model */
	size_t len;
};

struct facts_tool {
	char *id, *name;
	char *args;     /* arguments JSON text as on the wire, may be NULL */
	size_t args_len;
};

struct facts {
	const struct span *s;    /* the span these facts are for; NULL: none */
	bool held;               /* facts__take wrote something: release clears */
	uint64_t roll[FACTS_MAX_MSGS]; /* rolling hash after each input message */
	size_t n_msgs;
	bool msgs_cut;           /* more than FACTS_MAX_MSGS messages */
	uint64_t in_hash;        /* roll[n_msgs - 1], 0 with no input */
	uint64_t out_hash;       /* the assistant message the response stands for */
	bool new_user;           /* the last input message is a user message */
	struct facts_result results[FACTS_MAX_RESULTS]; /* trailing tool results */
	size_t n_results;
	struct facts_tool tools[GENAI_MAX_TOOL_CALLS];
	size_t n_tools;
	bool final;              /* an answer with no tool calls: the turn is over */
	bool offers_tools;       /* the request offers the model tools: an agent's */
	char *response_id;
	char *prev_response_id;  /* OpenAI Responses previous_response_id */
	char *conversation;      /* a conversation id the request carries */
	json_t *in_msgs, *sys;   /* the call's semconv input messages and system
				  * instructions (references), for hand-offs */
};

/* Fills f from a chat-like call (other operations leave f->s NULL).
 * Returns 0 or -ENOMEM (f released). f must be zeroed or released. */
int facts__take(struct facts *f, const struct genai_call *c, const json_t *req,
		const struct span *s);
void facts__release(struct facts *f);

#endif
