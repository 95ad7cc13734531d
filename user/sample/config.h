/* SPDX-License-Identifier: MIT */
/*
 * Tail sampling configuration: flags plus an optional file (JSON or YAML)
 * validated at start:
 *
 *   sample_rate: 0.1            # --sample-rate wins when given
 *   rules: { slow_tool: false } # every rule on by default
 *   slow_tool_k: 3
 *   slow_tool_min_samples: 20
 *   token_budget: 100000        # per trace, 0 = off
 *   tenant_budgets: { acme: 5000 }
 *   tools:                      # per-tool thresholds, by tool key
 *     "api.weather.test/v1/weather": { k: 5, max_ms: 2000 }
 *   settle_ms: 2000             # after the root ends
 *   max_wait_ms: 10000          # traces with no local root
 *   max_spans: 100000           # held, all traces
 *   max_bytes: 67108864
 */
#ifndef AR_SAMPLE_CONFIG_H
#define AR_SAMPLE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/tool_key.h"

struct sample_tool_cfg {
	char key[TOOL_KEY_MAX];
	double k;          /* 0: the global k */
	uint64_t max_ns;   /* 0: none; slower than this always counts as slow */
};

struct sample_tenant_budget {
	char tenant[64];
	int64_t tokens;
};

struct sample_cfg {
	bool enabled;               /* off: spans go straight to the exporter */
	double rate;                /* probability for traces no rule keeps */
	uint32_t rules_off;         /* bits of enum sample_rule */
	double slow_k;
	uint32_t slow_min_samples;
	int64_t token_budget;
	struct sample_tenant_budget *tenants;
	size_t n_tenants;
	struct sample_tool_cfg *tools;
	size_t n_tools;
	uint32_t settle_ms, max_wait_ms;
	size_t max_spans, max_bytes, max_tools, max_decided;
};

void sample_cfg__init(struct sample_cfg *c);
void sample_cfg__release(struct sample_cfg *c);

/* Applies a parsed file. Returns 0, or -EINVAL with a message naming the
 * offending key in err (c may be partly updated), or -ENOMEM. */
int sample_cfg__apply(struct sample_cfg *c, const json_t *root, char *err, size_t errsz);

/* Loads and applies path. Same returns; a file that cannot be read or
 * parsed is -EINVAL with the reason in err. */
int sample_cfg__load(struct sample_cfg *c, const char *path, char *err, size_t errsz);

/* The budget for a tenant ("" or unknown: the global one). */
int64_t sample_cfg__budget(const struct sample_cfg *c, const char *tenant);
/* The per-tool settings for key, or NULL. */
const struct sample_tool_cfg *sample_cfg__tool(const struct sample_cfg *c, const char *key);

#endif
