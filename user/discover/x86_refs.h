/* SPDX-License-Identifier: MIT */
/* Code that takes the address of a datum: RIP-relative `lea r64,
 * [rip+disp32]`, the way x86-64 code passes a string's address (an
 * OpenSSL ERR_raise passing __func__), or `mov r32, imm32` in a
 * non-PIE executable. */
#ifndef AR_DISCOVER_X86_REFS_H
#define AR_DISCOVER_X86_REFS_H

#include <stddef.h>
#include <stdint.h>

/* Scans code[len] (at virtual address addr) for lea instructions whose
 * target is target; stores their addresses in out[max]. Returns how many
 * were found (may exceed max; only max are stored). A byte pattern match,
 * not a decode: callers must confirm each hit (function bounds). */
size_t x86_refs__lea(const uint8_t *code, size_t len, uint64_t addr, uint64_t target,
		     uint64_t *out, size_t max);

/* As x86_refs__lea for nt targets in one pass over code: the references
 * to targets[t] go to out[t * max ...], their number to counts[t]. */
void x86_refs__lea_many(const uint8_t *code, size_t len, uint64_t addr, const uint64_t *targets,
			size_t nt, uint64_t *out, size_t *counts, size_t max);

/* Same for `mov r32, imm32` with imm32 == target: how a position-dependent
 * executable (Bun) passes a string's address. */
size_t x86_refs__mov_imm(const uint8_t *code, size_t len, uint64_t addr, uint64_t target,
			 uint64_t *out, size_t max);

#endif
