// SPDX-License-Identifier: MIT
/* Differential libFuzzer harness: genai's fast JSON loader must accept
 * exactly what jansson accepts and build an equal document. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "genai/jskim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t flags = size && (data[0] & 1) ? JSON_DECODE_ANY : 0;
	json_t *a = genai__json_load((const char *)data, size, flags);
	json_t *b = json_loadb((const char *)data, size, flags, NULL);

	if (!a != !b || (a && !json_equal(a, b)))
		abort();
	json_decref(a);
	json_decref(b);
	return 0;
}
