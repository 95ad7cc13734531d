/* SPDX-License-Identifier: MIT */
/* Function boundaries from .eh_frame_hdr's sorted FDE table and the FDE's
 * own pc_begin/pc_range: present in stripped binaries (C, C++ and Rust
 * keep unwind tables), so a function start found here is a real one. */
#ifndef AR_DISCOVER_EH_FRAME_H
#define AR_DISCOVER_EH_FRAME_H

#include <stdint.h>

struct elf_image;

/* [*start, *end) of the function whose FDE covers addr. Returns 0,
 * -ENOENT when no FDE covers it, or -EPROTO for an encoding we do not
 * read (only the usual pcrel/datarel sdata4 forms) or a table that
 * contradicts its FDE. Every read is bounds-checked. */
int eh_frame__func_bounds(const struct elf_image *img, uint64_t addr, uint64_t *start,
			  uint64_t *end);

#endif
