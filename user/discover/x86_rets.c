// SPDX-License-Identifier: MIT
#include <capstone/capstone.h>
#include <errno.h>

#include "discover/x86_rets.h"

int x86_rets__find(const uint8_t *code, size_t len, uint64_t addr, uint64_t *rets, size_t max)
{
	const uint8_t *p = code;
	uint64_t pc = addr;
	size_t left = len;
	cs_insn *insn;
	csh h;
	int n = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	insn = cs_malloc(h);
	if (!insn) {
		cs_close(&h);
		return -ENOMEM;
	}
	while (left) {
		if (!cs_disasm_iter(h, &p, &left, &pc, insn)) {
			n = -EILSEQ;
			break;
		}
		if (insn->id != X86_INS_RET)
			continue;
		if ((size_t)n == max) {
			n = -E2BIG;
			break;
		}
		rets[n++] = insn->address;
	}
	cs_free(insn, 1);
	cs_close(&h);
	return n;
}
