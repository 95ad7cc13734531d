// SPDX-License-Identifier: MIT
#include <string.h>

#include "discover/x86_refs.h"

void x86_refs__lea_many(const uint8_t *code, size_t len, uint64_t addr, const uint64_t *targets,
			size_t nt, uint64_t *out, size_t *counts, size_t max)
{
	const uint8_t *p = code + 1, *end = code + len;

	for (size_t t = 0; t < nt; t++)
		counts[t] = 0;
	/* memchr for the opcode keeps a 100 MB .text scan well under a second;
	 * lea is common, so all targets share one pass */
	while (end - p >= 6 && (p = memchr(p, 0x8d, end - p - 5))) {
		size_t i = p++ - code - 1;
		uint64_t to;
		int32_t disp;

		/* REX.W (or REX.WR for r8-r15), 8d /r with mod 00, rm 101 */
		if ((code[i] != 0x48 && code[i] != 0x4c) || (code[i + 2] & 0xc7) != 0x05)
			continue;
		memcpy(&disp, code + i + 3, 4);
		to = addr + i + 7 + (int64_t)disp;
		for (size_t t = 0; t < nt; t++) {
			if (to != targets[t])
				continue;
			if (counts[t] < max)
				out[t * max + counts[t]] = addr + i;
			counts[t]++;
		}
	}
}

size_t x86_refs__lea(const uint8_t *code, size_t len, uint64_t addr, uint64_t target,
		     uint64_t *out, size_t max)
{
	size_t n;

	x86_refs__lea_many(code, len, addr, &target, 1, out, &n, max);
	return n;
}

size_t x86_refs__mov_imm(const uint8_t *code, size_t len, uint64_t addr, uint64_t target,
			 uint64_t *out, size_t max)
{
	const uint8_t *p = code + 1, *end = code + len;
	uint32_t imm = (uint32_t)target;
	size_t n = 0;

	if (target > UINT32_MAX)
		return 0;
	/* memchr for the immediate's low byte: glibc's memmem is several
	 * times slower on a 4-byte needle over 100 MB */
	while (end - p >= 4 && (p = memchr(p, imm & 0xff, end - p - 3))) {
		size_t i = p++ - code - 1;

		/* b8+r imm32, without a REX prefix (r8d-r15d are not argument
		 * registers we look for) */
		if (memcmp(code + i + 1, &imm, 4) || code[i] < 0xb8 || code[i] > 0xbf ||
		    (i && (code[i - 1] & 0xf0) == 0x40))
			continue;
		if (n < max)
			out[n] = addr + i;
		n++;
	}
	return n;
}
