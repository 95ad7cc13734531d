/* SPDX-License-Identifier: MIT */
/* Hex text of hashes on per-call paths, where snprintf's ~1k instructions
 * a number showed in the daemon-cost profile. */
#ifndef AR_COMMON_HEX_H
#define AR_COMMON_HEX_H

#include <stdint.h>
#include <string.h>

/* The 8 nibbles of x, one per byte, the lowest in the lowest byte. */
static inline uint64_t hex__spread(uint32_t x)
{
	uint64_t y = x;

	y = (y | y << 16) & 0x0000ffff0000ffffULL;
	y = (y | y << 8) & 0x00ff00ff00ff00ffULL;
	return (y | y << 4) & 0x0f0f0f0f0f0f0f0fULL;
}

/* Each nibble byte to its digit: '0' + n, plus the gap to 'a' for n >= 10
 * (n + 6 carries into bit 4 exactly then). */
static inline uint64_t hex__digits(uint64_t y)
{
	uint64_t letter = ((y + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;

	return y + 0x3030303030303030ULL + letter * ('a' - '0' - 10);
}

/* v as 16 lowercase hex digits and a NUL: what "%016" PRIx64 prints.
 * Eight digits a word, not a loop a digit: two hashes a span. */
static inline void hex__u64(char out[17], uint64_t v)
{
	uint64_t hi = __builtin_bswap64(hex__digits(hex__spread((uint32_t)(v >> 32))));
	uint64_t lo = __builtin_bswap64(hex__digits(hex__spread((uint32_t)v)));

	memcpy(out, &hi, 8);
	memcpy(out + 8, &lo, 8);
	out[16] = '\0';
}

#endif
