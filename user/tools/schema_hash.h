/* SPDX-License-Identifier: MIT */
/*
 * A hash of a JSON document's STRUCTURE, for schema drift detection: two
 * documents with the same keys at the same places holding the same JSON
 * types hash alike, whatever their values and key order.
 *
 * The structure is the set of (path, type) pairs of every value:
 *  - the root's path is "$"; an object member appends "." and the key, with
 *    every byte outside [A-Za-z0-9_-] written as "~XX" (hex), so no key can
 *    imitate another path;
 *  - every array element appends "[]": elements collapse into one path, so
 *    [1,2,3] and [4] agree, and elements of different shapes contribute the
 *    union of their pairs;
 *  - types are object, array, string, number (integers and reals alike:
 *    1 and 1.5 are the same schema), boolean and null.
 * Consequences to know: an empty array contributes only its own pair, so
 * [] and [1] differ; a member that is sometimes null changes the hash.
 *
 * The hash is XXH3-64 over the pairs' own XXH3-64 values, sorted and
 * deduplicated, each as 8 little-endian bytes: stable across nodes and
 * builds. Memory is bounded by SCHEMA_HASH_MAX_PAIRS distinct pairs.
 */
#ifndef AR_TOOLS_SCHEMA_HASH_H
#define AR_TOOLS_SCHEMA_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SCHEMA_HASH_MAX_PAIRS 16384
#define SCHEMA_HASH_MAX_PATH 4096 /* bytes of one escaped path */

/* Structure hash of a parsed value. Returns 0 and sets *out; -E2BIG when
 * the document has more distinct pairs or deeper paths than the caps;
 * -ENOMEM. *out is untouched on failure. */
int schema_hash__value(const json_t *v, uint64_t *out);

/* Parses buf[0..len) as one JSON text (any value; integers of any size)
 * and hashes its structure. Returns 0, -EINVAL when it is not JSON (or has
 * trailing garbage), or the errors of schema_hash__value(). */
int schema_hash__text(const char *buf, size_t len, uint64_t *out);

#endif
