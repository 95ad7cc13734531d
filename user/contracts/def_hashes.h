/* SPDX-License-Identifier: MIT */
/*
 * Writes a set of per-tool definition hashes on a span as a sorted
 * ["name=hash", ...] string array (and optionally one hash of the whole
 * set), the form contracts/tool_drift.c reads: shared by the LLM request's tool
 * definitions (genai/tool_defs.c) and MCP tools/list schemas
 * (tools/mcp_list.c).
 */
#ifndef AR_CONTRACTS_DEF_HASHES_H
#define AR_CONTRACTS_DEF_HASHES_H

#include <stddef.h>
#include <stdint.h>

#include "trace/span.h"

#define DEF_HASHES_MAX 64   /* tools per span; more are left out */
#define DEF_NAME_MAX 128    /* longest tool name kept */

struct def_hash {
	const char *name;
	uint64_t hash;
};

/* Sorts v[0..n) by name and sets attr (and whole_attr, unless NULL).
 * Returns 0 or -ENOMEM. */
int def_hashes__set(struct span *s, const char *attr, const char *whole_attr,
		    struct def_hash *v, size_t n);

/* XXH3-64 of o serialised with sorted keys. Returns 0 or -ENOMEM. */
int def_hashes__of_json(const void *o, uint64_t *out);

#endif
