/* SPDX-License-Identifier: MIT */
/*
 * Tool schema drift: compares each successful tool response's
 * tool.schema.hash with what the tool may return. With a contracts file
 * (see file.h) that is the declared hashes: a match stamps
 * tool.contract.version, anything else is drift. Without one, agentrace
 * learns each tool's hashes from its first `warmup` responses, and a new
 * structure after that is drift.
 *
 * Drift sets tool.schema.drift=true, adds a tool.schema.drift span event
 * with the expected and observed hashes (the drift metric counts the flag),
 * and logs one stderr line per tool and hash. Checked spans without drift
 * get tool.schema.drift=false.
 *
 * Bounds: at most max_tools tools and CONTRACT_MAX_HASHES hashes each;
 * more are counted, not tracked. Not thread-safe (the parsing thread).
 */
#ifndef AR_CONTRACTS_DRIFT_H
#define AR_CONTRACTS_DRIFT_H

#include <stdint.h>
#include <stdio.h>

#include "contracts/file.h"
#include "trace/span.h"

struct drift_stats {
	uint64_t checked;        /* responses with a schema hash */
	uint64_t matched;        /* matched a declared or learned hash */
	uint64_t drifted;
	uint64_t undeclared;     /* contracts mode: a tool the file does not name */
	uint64_t tools;          /* tracked now */
	uint64_t tools_untracked;/* past max_tools */
};

struct drift;

/* cs NULL: learning mode. Takes cs's entries (cs is emptied). Returns
 * NULL on -ENOMEM. */
struct drift *drift__new(struct contract_set *cs, uint32_t warmup, size_t max_tools);
void drift__free(struct drift *d);

/* Checks s and annotates it. Never fails (-ENOMEM loses annotations). */
void drift__check(struct drift *d, struct span *s);

/* Writes a contracts file (YAML) declaring version "1" of every tool seen,
 * with every hash seen, for review. Returns 0 or -EIO. */
int drift__dump(const struct drift *d, FILE *f);

void drift__stats(const struct drift *d, struct drift_stats *out);

#endif
