/* SPDX-License-Identifier: MIT */
/*
 * Pieces both OTLP/JSON encoders (traces and metrics) build their trees
 * from, per the OTLP JSON mapping: 64-bit integers as decimal strings,
 * non-finite doubles as strings. Builders return NULL on -ENOMEM;
 * ojson__put() and ojson__append() take ownership of v and record any
 * failure in *oom, so a tree is built straight through and checked once.
 */
#ifndef AR_EXPORT_OTLP_JSON_KV_H
#define AR_EXPORT_OTLP_JSON_KV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "trace/span.h"

void ojson__put(json_t *o, const char *key, json_t *v, bool *oom);
void ojson__append(json_t *a, json_t *v, bool *oom);
/* A JSON string of s, repairing invalid UTF-8 (jansson rejects it). */
json_t *ojson__str(const char *s);
json_t *ojson__u64(uint64_t v);
json_t *ojson__i64(int64_t v);
json_t *ojson__double(double d);
/* The KeyValue array of l. */
json_t *ojson__key_values(const struct attr_list *l);

#endif
