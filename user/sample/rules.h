/* SPDX-License-Identifier: MIT */
/*
 * The sampling rules: what makes a trace worth keeping whatever the
 * sample rate. Each is evaluated per span as it arrives (rules_eval__span)
 * and per trace when it is decided (rules_eval__trace). Pure functions over
 * spans and a small per-trace state, so every rule is unit-tested alone.
 */
#ifndef AR_SAMPLE_RULES_H
#define AR_SAMPLE_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/span.h"

/* Bit positions; names appear in agentrace.sampling.rules and stats. */
enum sample_rule {
	RULE_FINISH,       /* an LLM finish reason other than a normal stop */
	RULE_ERROR,        /* ERROR status, HTTP 5xx or 429 */
	RULE_SLOW_TOOL,    /* a tool slower than k x its learned p99 */
	RULE_TOKEN_BUDGET, /* the trace's tokens over the (tenant's) budget */
	RULE_DRIFT,        /* a tool's schema drifted */
	RULE_FALLBACK,     /* the same tool or model called again after an error */
	RULE__COUNT,
	RULE_PROBABILITY = RULE__COUNT, /* kept by --sample-rate, not by a rule */
};

const char *sample_rule__name(int rule);
/* Returns the rule named name, or -EINVAL. */
int sample_rule__parse(const char *name);

#define RULES_MAX_ERR_KEYS 8

/* What a trace accumulates while it is held. */
struct rules_trace {
	uint32_t rules;            /* bits of enum sample_rule */
	int64_t tokens;            /* gen_ai.usage input + output */
	char tenant[64];           /* first tenant.id seen */
	uint64_t err_keys[RULES_MAX_ERR_KEYS]; /* tools/models that failed */
	uint8_t n_err_keys;
	bool pending_tool_calls;   /* an LLM asked for tools; nothing answered yet */
	bool workflow_root;        /* a local root that is not itself an LLM call */
};

/* True when s finished for a reason that is not a normal stop. */
bool rules__abnormal_finish(const struct span *s);
/* True when s failed: ERROR status, HTTP 5xx or 429. */
bool rules__failed(const struct span *s);
/* True for a local root: no parent, a parent in another process (an
 * observed traceparent), a SERVER span or invoke_agent. */
bool rules__is_root(const struct span *s);

/* Folds s into t (finish, error, drift, fallback, tokens, tool calls).
 * The slow-tool rule needs the p99 table and is applied by the sampler. */
void rules__span(struct rules_trace *t, const struct span *s);

/* Trace-level rules at decision time: tool calls left unanswered inside a
 * workflow (an LLM span that is its own trace cannot tell), and the token
 * budget (0: off). Returns t->rules. */
uint32_t rules__trace_end(struct rules_trace *t, int64_t budget);

#endif
