/* SPDX-License-Identifier: MIT */
/* What genai__json_load_keys should build, made from jansson's whole
 * document: every object member keep rejects removed, at any depth. For
 * the differential fuzz harness and the unit tests. */
#ifndef AR_TESTS_JSTRIP_H
#define AR_TESTS_JSTRIP_H

#include <string.h>

#include <jansson.h>

#include "genai/jskim.h"

/* A keep rule with both answers at every depth and length. */
static inline bool jstrip_keep_test(const char *k, size_t n)
{
	return n % 2 == 0 || (n && k[0] == 'k');
}

static inline void jstrip(json_t *v, genai_jkeep_fn *keep)
{
	const char *k;
	json_t *e;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, e) {
			if (!keep(k, strlen(k)))
				json_object_del(v, k);
			else
				jstrip(e, keep);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			jstrip(e, keep);
	}
}

#endif
