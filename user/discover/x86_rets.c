// SPDX-License-Identifier: MIT
#include <errno.h>

#include "discover/x86_decode.h"
#include "discover/x86_rets.h"

struct rets {
	uint64_t *out;
	size_t n, max;
};

static int on_insn(void *ctx, const cs_insn *insn)
{
	struct rets *r = ctx;

	if (insn->id != X86_INS_RET)
		return 0;
	if (r->n == r->max)
		return -E2BIG;
	r->out[r->n++] = insn->address;
	return 0;
}

int x86_rets__find(const uint8_t *code, size_t len, uint64_t addr, uint64_t *rets, size_t max)
{
	struct rets r = { .out = rets, .max = max };
	int err = x86_decode__each(code, len, addr, on_insn, &r);

	return err ? err : (int)r.n;
}
