// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "discover/tls_wrapper.h"
#include "discover/x86_decode.h"

/* Instructions a wrapper may run before its call. */
#define PRE_MAX 16

struct walk {
	int ex;            /* 1: the _ex wrapper */
	int n;             /* instructions seen */
	bool before;       /* still before the call */
	bool out_set;      /* rcx holds the address of the int wrapper's slot */
	long out_disp;     /* that slot: [rsp + out_disp] */
	int after;         /* instructions checked after the call */
	uint64_t callee;
};

static bool is_jcc(unsigned id)
{
	switch (id) {
	case X86_INS_JA: case X86_INS_JAE: case X86_INS_JB: case X86_INS_JBE:
	case X86_INS_JE: case X86_INS_JG: case X86_INS_JGE: case X86_INS_JL:
	case X86_INS_JLE: case X86_INS_JNE: case X86_INS_JNO: case X86_INS_JNP:
	case X86_INS_JNS: case X86_INS_JO: case X86_INS_JP: case X86_INS_JS:
		return true;
	default:
		return false;
	}
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* "[rsp]" -> 0, "[rsp + 0x10]" -> 16; false for any other memory operand. */
static bool rsp_disp(const char *mem, long *disp)
{
	char *end;

	if (!strcmp(mem, "[rsp]")) {
		*disp = 0;
		return true;
	}
	if (strncmp(mem, "[rsp + ", 7))
		return false;
	*disp = strtol(mem + 7, &end, 0);
	return !strcmp(end, "]");
}

/* One instruction before the call: 0 goes on, 1 reached the call, -ENOENT
 * for anything a pass-through wrapper does not do. */
static int pre(struct walk *w, const cs_insn *i)
{
	const char *op = i->op_str;
	char *end;

	if (++w->n > PRE_MAX)
		return -ENOENT;
	if (is_jcc(i->id) || i->id == X86_INS_ENDBR64 || i->id == X86_INS_TEST ||
	    i->id == X86_INS_CMP)
		return 0; /* flags only, or a branch away from the call */
	switch (i->id) {
	case X86_INS_PUSH:
	case X86_INS_SUB:
		/* after rcx took the slot's address, rsp must stay put */
		if (w->out_set || (i->id == X86_INS_SUB && strncmp(op, "rsp, ", 5)))
			return -ENOENT;
		return 0;
	case X86_INS_XOR:
		return strcmp(op, "eax, eax") ? -ENOENT : 0;
	case X86_INS_MOV:
		if (!strcmp(op, "rax, qword ptr fs:[0x28]") ||
		    (!strncmp(op, "qword ptr [rsp", 14) && ends_with(op, "], rax")))
			return 0; /* the stack protector */
		if (!w->ex && !strcmp(op, "rcx, rsp")) {
			w->out_set = true;
			w->out_disp = 0;
			return 0;
		}
		return -ENOENT;
	case X86_INS_LEA:
		if (w->ex || strncmp(op, "rcx, ", 5) || !rsp_disp(op + 5, &w->out_disp))
			return -ENOENT;
		w->out_set = true;
		return 0;
	case X86_INS_MOVSXD:
		return !w->ex && !strcmp(op, "rdx, edx") ? 0 : -ENOENT;
	case X86_INS_CALL:
		if (strncmp(op, "0x", 2))
			return -ENOENT; /* indirect */
		w->callee = strtoull(op, &end, 16);
		if (*end || w->out_set == !!w->ex)
			return -ENOENT;
		w->before = false;
		return w->ex ? 1 : 0;
	default:
		return -ENOENT;
	}
}

/* After the int wrapper's call: `test eax, eax`, a jcc, then the slot's
 * value loaded as the return value. */
static int post(struct walk *w, const cs_insn *i)
{
	long disp;

	switch (w->after++) {
	case 0:
		return i->id == X86_INS_TEST && !strcmp(i->op_str, "eax, eax") ? 0 : -ENOENT;
	case 1:
		return is_jcc(i->id) ? 0 : -ENOENT;
	default:
		if (i->id != X86_INS_MOV || strncmp(i->op_str, "eax, dword ptr ", 15) ||
		    !rsp_disp(i->op_str + 15, &disp) || disp != w->out_disp)
			return -ENOENT;
		return 1;
	}
}

static int on_insn(void *ctx, const cs_insn *i)
{
	struct walk *w = ctx;

	return w->before ? pre(w, i) : post(w, i);
}

int tls_wrapper__callee(const uint8_t *code, size_t len, uint64_t addr, int ex,
			uint64_t *callee)
{
	struct walk w = { .ex = ex, .before = true };

	if (!code || x86_decode__each(code, len, addr, on_insn, &w) != 1 || !w.callee)
		return -ENOENT;
	*callee = w.callee;
	return 0;
}

uint64_t tls_wrapper__pair(const uint8_t *plain, uint64_t plain_addr, const uint8_t *ex,
			   uint64_t ex_addr, size_t len)
{
	uint64_t a, b;

	if (tls_wrapper__callee(plain, len, plain_addr, 0, &a) ||
	    tls_wrapper__callee(ex, len, ex_addr, 1, &b) || a != b)
		return 0;
	return a;
}
