/* SPDX-License-Identifier: MIT */
/* Hex text of hashes on per-call paths, where snprintf's ~1k instructions
 * a number showed in the daemon-cost profile. */
#ifndef AR_COMMON_HEX_H
#define AR_COMMON_HEX_H

#include <stdint.h>

/* v as 16 lowercase hex digits and a NUL: what "%016" PRIx64 prints. */
static inline void hex__u64(char out[17], uint64_t v)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 15];
	out[16] = '\0';
}

#endif
