// SPDX-License-Identifier: MIT
/* Differential libFuzzer harness: genai's fast JSON loader must accept
 * exactly what jansson accepts and build an equal document (also when it
 * reports a member's text, or leaves members out). */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "genai/jskim.h"
#include "jstrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t flags = size && (data[0] & 1) ? JSON_DECODE_ANY : 0;
	json_t *a = genai__json_load((const char *)data, size, flags);
	json_t *b = json_loadb((const char *)data, size, flags, NULL);

	if (!a != !b || (a && !json_equal(a, b)))
		abort();
	if (!flags) {
		/* the request loader: the same document, and "tools" text inside it */
		struct genai_jmember m = { .key = "tools" };
		json_t *c = genai__json_load_member((const char *)data, size, &m);

		if (!a != !c || (a && !json_equal(a, c)) ||
		    (m.v && (m.v < (const char *)data || m.v + m.n > (const char *)data + size)))
			abort();
		json_decref(c);
		/* left unbuilt, the member's text is found by bracket matching
		 * (skip_value, skip_string): the same extent in a valid document */
		if (a && m.v) {
			struct genai_jmember k = { .key = "tools", .skip = true };

			c = genai__json_load_member((const char *)data, size, &k);
			if (!c || (k.v && (k.v != m.v || k.n != m.n)))
				abort();
			json_decref(c);
		}
		/* the response loader: jansson's document minus the members
		 * left out, or all of it when jansson read it (escaped keys) */
		c = genai__json_load_keys((const char *)data, size, jstrip_keep_test);
		if (!a != !c)
			abort();
		if (c && !json_equal(c, b)) {
			jstrip(b, jstrip_keep_test);
			if (!json_equal(c, b))
				abort();
		}
		json_decref(c);
	}
	json_decref(a);
	json_decref(b);
	return 0;
}
