/* SPDX-License-Identifier: MIT */
/* Go's function table (.gopclntab, Go 1.18 and later), which survives
 * `-ldflags=-s -w` stripping: function name -> [entry, end). */
#ifndef AR_DISCOVER_GO_PCLNTAB_H
#define AR_DISCOVER_GO_PCLNTAB_H

#include <stddef.h>
#include <stdint.h>

/* Looks up function name in the pclntab bytes tab[len], whose text starts
 * at text_addr when the header does not say (position-independent builds).
 * Returns 0 with [*start, *end) as virtual addresses (end is the next
 * function's entry), -ENOENT when absent, -EPROTO for an unknown or corrupt
 * table. Every offset is bounds-checked. */
int go_pclntab__find(const uint8_t *tab, size_t len, uint64_t text_addr, const char *name,
		     uint64_t *start, uint64_t *end);

#endif
