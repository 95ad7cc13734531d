// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "discover/eh_frame.h"
#include "discover/elf_image.h"

#define PE_PCREL_SDATA4 0x1b  /* DW_EH_PE_pcrel | DW_EH_PE_sdata4 */
#define PE_UDATA4 0x03
#define PE_DATAREL_SDATA4 0x3b

static int32_t s32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

int eh_frame__func_bounds(const struct elf_image *img, uint64_t addr, uint64_t *start,
			  uint64_t *end)
{
	uint64_t hdr_addr, eh_addr, fde, pc_begin;
	const uint8_t *hdr, *eh, *tab;
	size_t hlen, elen, lo, hi;
	uint32_t count, range;

	hdr = elf_image__section(img, ".eh_frame_hdr", &hlen, &hdr_addr);
	eh = elf_image__section(img, ".eh_frame", &elen, &eh_addr);
	if (!hdr || !eh || hlen < 12)
		return -ENOENT;
	if (hdr[0] != 1 || hdr[1] != PE_PCREL_SDATA4 || hdr[2] != PE_UDATA4 ||
	    hdr[3] != PE_DATAREL_SDATA4)
		return -EPROTO;
	memcpy(&count, hdr + 8, 4);
	if (count == 0 || count > (hlen - 12) / 8)
		return -EPROTO;
	tab = hdr + 12;
	/* last entry whose initial location is <= addr */
	lo = 0;
	hi = count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (hdr_addr + (int64_t)s32(tab + mid * 8) <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*start = hdr_addr + (int64_t)s32(tab + lo * 8);
	if (*start > addr)
		return -ENOENT;
	fde = hdr_addr + (int64_t)s32(tab + lo * 8 + 4);
	if (fde < eh_addr || fde - eh_addr > elen - 16)
		return -EPROTO;
	eh += fde - eh_addr;
	/* length (not the 64-bit escape), CIE pointer, pc_begin, pc_range */
	if (s32(eh) == -1 || !s32(eh + 4))
		return -EPROTO;
	pc_begin = fde + 8 + (int64_t)s32(eh + 8);
	memcpy(&range, eh + 12, 4);
	if (pc_begin != *start)
		return -EPROTO; /* not the encoding we assumed */
	*end = *start + range;
	return addr < *end ? 0 : -ENOENT;
}
