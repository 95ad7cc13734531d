/* SPDX-License-Identifier: MIT */
/*
 * A shallow JSON reader for request bodies: agents send conversations of
 * hundreds of KB, and without content capture only the top-level scalars
 * (model, temperature, stream, ...) matter. Skims the top-level object,
 * parsing values up to small_max bytes with jansson and replacing bigger
 * ones by an empty value of the same type, so shape checks still work;
 * arrays and objects of content keys (messages, tools, input, ...) are
 * always emptied.
 */
#ifndef AR_GENAI_JSKIM_H
#define AR_GENAI_JSKIM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Returns a new object, or NULL if b is not an object at all. *complete
 * is false when the body was malformed or cut: the object then holds the
 * keys read before the damage. */
json_t *genai__json_skim(const char *b, size_t n, size_t small_max, bool *complete);

/* Fast path for stream deltas: when key (quotes included, e.g.
 * "\"content\"") occurs exactly once in d[0..n), returns 1 and sets *out to
 * its string value (new reference), or to NULL when the value is null.
 * Returns 0 when the key is absent, repeated, or not a string/null; the
 * caller then parses the whole payload. */
int genai__json_one_str(const char *d, size_t n, const char *key, json_t **out);

/* json_loadb(b, n, flags, NULL) (flags 0 or JSON_DECODE_ANY), faster: a
 * hand-written pass over well-formed documents, jansson itself for
 * anything unusual (escaped keys, deep nesting, errors), so the result is
 * the same. Returns NULL when b is not valid JSON. */
json_t *genai__json_load(const char *b, size_t n, size_t flags);

#endif
