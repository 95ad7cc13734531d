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

/*
 * One top-level member of a request body, as a loader found it in the raw
 * text: the member's value text lets a caller key a cache on the bytes
 * (genai/tool_defs.c) instead of building and walking the value.
 */
struct genai_jmember {
	const char *key;   /* in: the member's name */
	bool skip;         /* in (genai__json_load_member): leave its value unbuilt */
	const char *v;     /* out: its value's raw text; NULL when absent or unknown */
	size_t n;
};

/* Returns a new object, or NULL if b is not an object at all. *complete
 * is false when the body was malformed or cut: the object then holds the
 * keys read before the damage. m (may be NULL) gets the raw text of the
 * member it names (the last one when repeated). */
json_t *genai__json_skim(const char *b, size_t n, size_t small_max, bool *complete,
			 struct genai_jmember *m);

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

/*
 * genai__json_load(b, n, 0) that also reports the raw text of the
 * top-level member m names (m->v NULL when absent, or when the document
 * needed jansson's own parser). With m->skip, a container value is not
 * built: an empty one of the same kind stands in, as genai__json_skim
 * leaves it, and its text is only bracket-matched, not validated.
 */
json_t *genai__json_load_member(const char *b, size_t n, struct genai_jmember *m);

/* Whether genai__json_load_keys builds the member named k[0..n) (not
 * NUL-terminated, escapes not decoded). */
typedef bool genai_jkeep_fn(const char *k, size_t n);

/*
 * genai__json_load(b, n, 0) that builds only the object members keep
 * accepts (at any depth): every other member's key and value are checked
 * as jansson checks them, so the answer to "is b valid JSON" is the same,
 * and left out. Responses carry many members nobody reads (created,
 * system_fingerprint, logprobs, token details, ...), and each built value
 * costs allocations. The rare documents the fast pass hands to jansson
 * (escaped keys, deep nesting) come back whole. NULL when b is not valid
 * JSON.
 */
json_t *genai__json_load_keys(const char *b, size_t n, genai_jkeep_fn *keep);

/* The JSON string whose opening quote is v[0] (v[0..n) may go on past
 * it), as a new reference; NULL when v does not start a valid string. */
json_t *genai__json_str_at(const char *v, size_t n);

/* Whether raw JSON text is an array with at least one element. */
bool genai__json_raw_nonempty_array(const char *v, size_t n);

#endif
