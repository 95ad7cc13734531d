/* SPDX-License-Identifier: MIT */
/*
 * Payload hashes that agree across nodes: XXH3-64 over the exact bytes,
 * rendered as 16 lowercase hex digits. XXH3's output does not depend on
 * the host's endianness.
 */
#ifndef AR_TOOLS_DIGEST_H
#define AR_TOOLS_DIGEST_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <xxhash.h>

#include "common/hex.h"

#define DIGEST_HEX_LEN 17 /* 16 digits and the NUL */

static inline uint64_t digest__bytes(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

static inline void digest__hex(uint64_t h, char out[DIGEST_HEX_LEN])
{
	hex__u64(out, h);
}

#endif
