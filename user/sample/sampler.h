/* SPDX-License-Identifier: MIT */
/*
 * Node-local tail sampling. Spans are held per trace until the trace's
 * local root (no parent or a remote one, a SERVER span, invoke_agent) has
 * ended plus settle_ms, or max_wait_ms after the first span for a trace
 * with no local root. Then the whole trace is kept or dropped: kept when
 * any enabled rule fired (see rules.h), else with probability rate decided
 * from the trace id (the W3C random low 56 bits against a threshold, as
 * OpenTelemetry's consistent probability sampling does), so every node
 * agrees. A kept trace's root carries agentrace.sampling.rules.
 *
 * Bounds: held spans and bytes are capped; on overflow the oldest held
 * trace is decided at once by its rules so far (counted as overflow).
 * Decisions of the last max_decided traces are remembered so late spans
 * follow their trace; older late spans start a new held trace. Not
 * thread-safe: the parsing thread owns it.
 */
#ifndef AR_SAMPLE_SAMPLER_H
#define AR_SAMPLE_SAMPLER_H

#include <stdint.h>

#include "sample/config.h"
#include "sample/rules.h"
#include "trace/span.h"

#define SAMPLING_RULES_ATTR "agentrace.sampling.rules"
/* On the same root: gen_ai.usage input + output over this node's part of the
 * trace, so a gateway tail_sampling policy (a per-span numeric_attribute)
 * can apply a trace token budget; see docs/sampling.md. */
#define SAMPLING_TOKENS_ATTR "agentrace.trace.tokens"

/* Receives each kept span (ownership passes). Returns 0 or a negative
 * errno when it dropped the span (counted as export drops by the caller). */
typedef int (*sampler_emit_fn)(void *ctx, struct span *s);

struct sampler_stats {
	uint64_t held_traces, held_spans, held_bytes;   /* now */
	uint64_t traces_kept, traces_dropped;
	uint64_t spans_kept, spans_dropped;
	uint64_t kept_by[RULE__COUNT + 1];              /* per rule, probability last */
	uint64_t overflow_decisions;                    /* decided early: buffer full */
	uint64_t late_spans;                            /* after their trace's decision */
	uint64_t emit_failed;
	uint64_t tools_tracked, tools_evicted;
};

struct sampler;

/* Copies cfg. Returns NULL on -ENOMEM. */
struct sampler *sampler__new(const struct sample_cfg *cfg, sampler_emit_fn emit, void *ctx);

/* Holds s (ownership passes). now is monotonic ns. */
void sampler__submit(struct sampler *sm, struct span *s, uint64_t now);

/* Decides the traces that came due by now. */
void sampler__tick(struct sampler *sm, uint64_t now);

/* Decides every held trace now (shutdown, end of a capture file). */
void sampler__flush(struct sampler *sm);

void sampler__stats(const struct sampler *sm, struct sampler_stats *out);

/* Flushes, then frees. sm may be NULL. */
void sampler__free(struct sampler *sm);

/* The probabilistic part alone: true when a trace with this id is kept at
 * rate (0..1). Pure; identical on every node. */
bool sampler__keep_by_id(const uint8_t trace_id[16], double rate);

#endif
