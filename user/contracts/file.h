/* SPDX-License-Identifier: MIT */
/*
 * The tool contracts file (--tool-contracts), JSON or YAML:
 *
 *   tools:
 *     - name: get_weather             # an MCP tool name (gen_ai.tool.name)
 *       version: "1"
 *       schema_hashes: ["9f0c3a1b2c3d4e5f"]
 *     - host: api.weather.test        # or host + path template of an
 *       path: /tools/v1/weather       # HTTP tool (see tools/tool_key.h)
 *       version: "1"
 *       schema_hashes: ["..."]        # tool.schema.hash values it may return
 *
 * One tool may appear once per version. Validated whole at start; errors
 * name the entry ("tools[1].schema_hashes[0]: expected 16 hex digits").
 */
#ifndef AR_CONTRACTS_FILE_H
#define AR_CONTRACTS_FILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/tool_key.h"

#define CONTRACT_MAX_HASHES 16
#define CONTRACT_MAX_ENTRIES 4096

struct contract {
	char key[TOOL_KEY_MAX];   /* as tool_key__of() spells it */
	char version[32];
	uint64_t hashes[CONTRACT_MAX_HASHES];
	size_t n_hashes;
};

struct contract_set {
	struct contract *v;
	size_t n;
};

/* Parses a loaded file. Returns 0, -EINVAL with the reason in err, or
 * -ENOMEM. */
int contract_set__parse(struct contract_set *cs, const json_t *root, char *err, size_t errsz);
/* Loads and parses path (-EINVAL also when it cannot be read). */
int contract_set__load(struct contract_set *cs, const char *path, char *err, size_t errsz);
void contract_set__release(struct contract_set *cs);

/* Parses 16 lowercase or uppercase hex digits. Returns 0 or -EINVAL. */
int contract__parse_hash(const char *s, uint64_t *out);

#endif
