/* SPDX-License-Identifier: MIT */
/*
 * Turns finished spans into metric recordings, before any sampling: every
 * LLM call feeds the gen_ai client metrics, every MCP call
 * mcp.{client,server}.operation.duration, every black-box tool call the
 * per-tool duration histogram, and every drifted tool response the drift
 * counter. Attributes follow the gen_ai and MCP metric conventions, plus
 * tenant.id when the span knows it.
 */
#ifndef AR_METRICS_RECORD_H
#define AR_METRICS_RECORD_H

#include "metrics/store.h"
#include "trace/span.h"

extern const struct minst minst_token_usage, minst_gen_ai_duration, minst_ttfc,
	minst_mcp_client, minst_mcp_server, minst_tool_duration, minst_tool_drift;

/* Records what s says. Never fails; lost recordings are counted in the
 * store's nomem. */
void metrics_record__span(struct mstore *st, const struct span *s);

#endif
