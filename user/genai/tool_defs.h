/* SPDX-License-Identifier: MIT */
/*
 * The tool definitions an LLM request offers the model (OpenAI chat and
 * Responses "tools", Anthropic "tools", Gemini "functionDeclarations"):
 * each tool's definition hashed (XXH3-64 of its JSON with sorted keys), so
 * a changed definition for a known tool name can be flagged as drift on
 * the agent's side (contracts/tool_drift.h), and the whole set hashed for the
 * span. At most DEF_HASHES_MAX tools per request; more are left out.
 *
 * An agent sends the same definitions with every call, so the hashes are
 * remembered by the exact bytes of the "tools" text (XXH3-128), for the
 * last TOOL_DEFS_CACHE different sets: a repeat costs a hash of the text,
 * not a parse and a sorted serialisation per tool. Not thread-safe.
 */
#ifndef AR_GENAI_TOOL_DEFS_H
#define AR_GENAI_TOOL_DEFS_H

#include <jansson.h>
#include <stddef.h>

#include "trace/span.h"

#define TOOL_DEFS_CACHE 16          /* definition sets remembered */
#define TOOL_DEFS_CACHE_NAMES 16384 /* a set with longer names is not */

struct genai_tool_defs;

/* Returns NULL on -ENOMEM. */
struct genai_tool_defs *genai_tool_defs__new(void);
void genai_tool_defs__free(struct genai_tool_defs *d);

/*
 * Sets on s, from the request's "tools": tool.definitions.hash,
 * tool.definition.hashes ["name=hash", ...] and, when capture is on,
 * gen_ai.tool.definitions (the JSON array). The definitions are req's
 * "tools" when it is a non-empty array, else raw[0..raw_len) (that
 * member's text, as genai_jmember reports it; NULL when unknown), parsed
 * here. d (may be NULL: no cache) remembers the hashes by raw. Returns the
 * number of tools seen (0: none), or -ENOMEM.
 */
int genai_tool_defs__annotate(struct genai_tool_defs *d, struct span *s, const json_t *req,
			      const char *raw, size_t raw_len, bool capture);

#endif
