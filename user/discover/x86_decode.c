// SPDX-License-Identifier: MIT
#include <errno.h>

#include "discover/x86_decode.h"

int x86_decode__each(const uint8_t *code, size_t len, uint64_t addr, x86_insn_fn fn, void *ctx)
{
	const uint8_t *p = code;
	uint64_t pc = addr;
	size_t left = len;
	cs_insn *insn;
	csh h;
	int r = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	insn = cs_malloc(h);
	if (!insn) {
		cs_close(&h);
		return -ENOMEM;
	}
	while (left && !r) {
		if (!cs_disasm_iter(h, &p, &left, &pc, insn))
			r = -EILSEQ;
		else
			r = fn(ctx, insn);
	}
	cs_free(insn, 1);
	cs_close(&h);
	return r;
}
