/* SPDX-License-Identifier: MIT */
/*
 * The tool definitions an LLM request offers the model (OpenAI chat and
 * Responses "tools", Anthropic "tools", Gemini "functionDeclarations"):
 * each tool's definition hashed (XXH3-64 of its JSON with sorted keys), so
 * a changed definition for a known tool name can be flagged as drift on
 * the agent's side (contracts/tool_drift.h), and the whole set hashed for the
 * span. At most DEF_HASHES_MAX tools per request; more are left out.
 */
#ifndef AR_GENAI_TOOL_DEFS_H
#define AR_GENAI_TOOL_DEFS_H

#include <jansson.h>
#include <stddef.h>

#include "trace/span.h"

/*
 * Reads the "tools" of req (a full parse; when req was only skimmed, pass
 * the raw body and it is parsed here, only if it names "tools") and sets on
 * s: tool.definitions.hash, tool.definition.hashes ["name=hash", ...] and,
 * when capture is on, gen_ai.tool.definitions (the JSON array). Returns the
 * number of tools seen (0: none), or -ENOMEM.
 */
int genai_tool_defs__annotate(struct span *s, const json_t *req, const char *body, size_t len,
			      bool capture);

#endif
