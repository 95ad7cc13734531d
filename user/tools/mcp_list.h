/* SPDX-License-Identifier: MIT */
/* The schemas an MCP server advertises in a tools/list result: per tool, a
 * hash of its inputSchema and outputSchema, as mcp.tool.schema_hashes
 * ["name=hash", ...] for contracts/drift.c. */
#ifndef AR_TOOLS_MCP_LIST_H
#define AR_TOOLS_MCP_LIST_H

#include <jansson.h>

#include "trace/span.h"

/* Annotates s from result (may be NULL: nothing). Returns 0 or -ENOMEM. */
int mcp_list__annotate(struct span *s, const json_t *result);

#endif
