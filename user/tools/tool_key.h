/* SPDX-License-Identifier: MIT */
/*
 * The identity of a tool, shared by the stages that keep per-tool state
 * (metrics, the sampler's p99, contracts): the tool name when the span has
 * one (MCP tools/call, execute_tool), else for a black-box HTTP tool the
 * host plus a path template ("api.weather.test/v1/city/{id}"), where
 * segments that look like ids (digits, long hex, UUIDs) become "{id}" so
 * the key has low cardinality.
 */
#ifndef AR_TOOLS_TOOL_KEY_H
#define AR_TOOLS_TOOL_KEY_H

#include <stddef.h>

#include "trace/span.h"

#define TOOL_KEY_MAX 192

enum tool_key_kind {
	TOOL_KEY_NONE,  /* not a tool span (an LLM call, for instance) */
	TOOL_KEY_NAME,  /* gen_ai.tool.name */
	TOOL_KEY_HTTP,  /* host + path template of a black-box call */
};

/* Writes s's tool key into buf (NUL-terminated, truncated to sz) and
 * returns its kind; buf is "" for TOOL_KEY_NONE. */
enum tool_key_kind tool_key__of(const struct span *s, char *buf, size_t sz);

/* Writes the path template of a URL or path (query and fragment
 * dropped) into buf. */
void tool_key__path_template(const char *url, char *buf, size_t sz);

#endif
