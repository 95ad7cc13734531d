/* SPDX-License-Identifier: MIT */
/* Finds the RET instructions of one x86-64 function by decoding it from
 * its first byte with capstone, so a 0xC3 byte inside another instruction
 * (an immediate, a displacement) is never mistaken for a RET. */
#ifndef AR_DISCOVER_X86_RETS_H
#define AR_DISCOVER_X86_RETS_H

#include <stddef.h>
#include <stdint.h>

/* Decodes code[len] (the whole function, at virtual address addr) and
 * stores the addresses of its RET instructions in rets[max]. Returns how
 * many, -EILSEQ when some bytes do not decode (the bounds or the code are
 * not what we think: place no probe), -E2BIG when there are more than max,
 * or -ENOMEM. */
int x86_rets__find(const uint8_t *code, size_t len, uint64_t addr, uint64_t *rets, size_t max);

#endif
