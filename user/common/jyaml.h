/* SPDX-License-Identifier: MIT */
/*
 * Loads a small configuration file, JSON or YAML, into a jansson tree, so
 * every config reader validates one representation. A file whose first
 * non-blank byte is '{' or '[' is JSON; anything else is YAML (libyaml),
 * whose plain scalars become integers, reals, booleans or null when they
 * look like one, and strings otherwise. Anchors, aliases and tags are
 * refused. Files over 1 MiB are refused.
 */
#ifndef AR_COMMON_JYAML_H
#define AR_COMMON_JYAML_H

#include <jansson.h>
#include <stddef.h>

/* Returns a new reference, or NULL with a message ("line 3: ...") in err. */
json_t *jyaml__load_file(const char *path, char *err, size_t errsz);

/* Same, from memory. */
json_t *jyaml__load(const char *buf, size_t len, char *err, size_t errsz);

#endif
