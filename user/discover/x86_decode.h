/* SPDX-License-Identifier: MIT */
/* Walks x86-64 code instruction by instruction with capstone, from a known
 * instruction boundary (a function start): the one decoder set-up that
 * RET finding (x86_rets.c) and BoringSSL's function scan share. */
#ifndef AR_DISCOVER_X86_DECODE_H
#define AR_DISCOVER_X86_DECODE_H

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdint.h>

/* Called per instruction: 0 goes on, > 0 stops the walk, < 0 stops it
 * and is returned. */
typedef int (*x86_insn_fn)(void *ctx, const cs_insn *insn);

/* Decodes code[len] (at virtual address addr) and calls fn on each
 * instruction. Returns 0 when all of it decoded, fn's positive value when
 * fn stopped the walk, fn's negative value, -EILSEQ at bytes that do not
 * decode, or -ENOMEM. */
int x86_decode__each(const uint8_t *code, size_t len, uint64_t addr, x86_insn_fn fn, void *ctx);

#endif
