// SPDX-License-Identifier: MIT
/* Layout from Go's runtime/symtab.go (pcHeader) and cmd/link pcln.go:
 * header, then functab = (nfunc + 1) pairs {entryoff u32, funcoff u32}
 * sorted by entry; each _func starts {entryoff u32, nameoff i32}. */
#include <errno.h>
#include <string.h>

#include "discover/go_pclntab.h"

#define MAGIC_118 0xfffffff0u /* Go 1.18, 1.19 */
#define MAGIC_120 0xfffffff1u /* Go 1.20 and later */

static uint64_t rd(const uint8_t *p, int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size); /* little-endian hosts only (amd64, arm64) */
	return v;
}

int go_pclntab__find(const uint8_t *tab, size_t len, uint64_t text_addr, const char *name,
		     uint64_t *start, uint64_t *end)
{
	uint64_t nfunc, text, nameoff_base, pcln;
	size_t nlen = strlen(name);
	uint32_t magic;
	int ps;

	if (len < 8 + 8 * 8)
		return -EPROTO;
	magic = rd(tab, 4);
	ps = tab[7];
	if ((magic != MAGIC_118 && magic != MAGIC_120) || (ps != 4 && ps != 8) || tab[4] || tab[5])
		return -EPROTO;
	nfunc = rd(tab + 8, ps);
	text = rd(tab + 8 + 2 * ps, ps);
	nameoff_base = rd(tab + 8 + 3 * ps, ps);
	pcln = rd(tab + 8 + 7 * ps, ps);
	if (!text)
		text = text_addr;
	if (pcln >= len || nameoff_base >= len || nfunc > (len - pcln) / 8 - 1)
		return -EPROTO;
	for (uint64_t i = 0; i < nfunc; i++) {
		const uint8_t *ft = tab + pcln + i * 8;
		uint32_t entry = rd(ft, 4), funcoff = rd(ft + 4, 4), next = rd(ft + 8, 4);
		uint64_t fpos = pcln + (uint64_t)funcoff, npos;
		int32_t nameoff;

		if (fpos > len - 8)
			return -EPROTO;
		nameoff = (int32_t)rd(tab + fpos + 4, 4);
		if (nameoff < 0)
			continue;
		npos = nameoff_base + (uint64_t)nameoff;
		if (npos >= len || len - npos <= nlen)
			continue;
		if (memcmp(tab + npos, name, nlen) || tab[npos + nlen])
			continue;
		if (rd(tab + fpos, 4) != entry || next <= entry)
			return -EPROTO;
		*start = text + entry;
		*end = text + next;
		return 0;
	}
	return -ENOENT;
}
