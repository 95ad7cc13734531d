// SPDX-License-Identifier: MIT
/*
 * Go crypto/tls: uprobes at the entry (the stack check's jump) and at every RET of
 * (*crypto/tls.Conn).Write and Read, and at Close. Go moves goroutine
 * stacks, so a uretprobe (which rewrites the return address on the stack)
 * would corrupt the program; RET instructions are found by decoding the
 * whole function from its entry within bounds from the symbol table, or
 * from .gopclntab when the binary is stripped.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "discover/elf_image.h"
#include "discover/go_pclntab.h"
#include "discover/tls_lib.h"
#include "discover/x86_decode.h"
#include "discover/x86_rets.h"

#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define MAX_FN_BYTES (64 * 1024) /* Read and Write are ~1-2 KiB */
#define MAX_RETS 32

enum { FN_WRITE, FN_READ, FN_CLOSE, FN_MAX };

static const char *const fn_names[FN_MAX] = {
	[FN_WRITE] = "crypto/tls.(*Conn).Write",
	[FN_READ] = "crypto/tls.(*Conn).Read",
	[FN_CLOSE] = "crypto/tls.(*Conn).Close",
};

/* Go 1.18+ buildinfo, at the start of its own section (a search of all
 * data would also find the magic in any binary that merely quotes it, as
 * agentrace's own does): 14-byte magic, pointer size, flags; with flags
 * bit 1 the version follows at offset 32 as a varint-length-prefixed
 * string. NULL when there is none. */
static const uint8_t *buildinfo(const struct elf_image *img, size_t *len)
{
	const uint8_t *p = elf_image__section(img, ".go.buildinfo", len, NULL);

	return p && *len >= 16 && memcmp(p, BUILDINFO_MAGIC, 14) == 0 ? p : NULL;
}

static void buildinfo_version(const struct elf_image *img, char *version, size_t len)
{
	size_t blen = 0;
	const uint8_t *p = buildinfo(img, &blen);
	size_t n;

	version[0] = 0;
	if (!p || blen < 34 || !(p[15] & 2))
		return;
	n = p[32];
	if (n & 0x80 || blen - 33 < n)
		return;
	snprintf(version, len, "%.*s", (int)n, (const char *)p + 33);
}

bool tls_go__detect(const struct elf_image *img, char *version, size_t len)
{
	size_t n;
	bool go = elf_image__section(img, ".gopclntab", &n, NULL) || buildinfo(img, &n);
	const char *want = fn_names[FN_WRITE];

	/* A Go binary that does not link crypto/tls carries no TLS library. */
	if (!go || !elf_image__find_data(img, want, strlen(want) + 1, NULL))
		return false;
	buildinfo_version(img, version, len);
	return true;
}

/* [start, end) of one function: symbol table first, then .gopclntab. */
static int func_bounds(const struct elf_image *img, const struct elf_func *sym, const char *name,
		       uint64_t *start, uint64_t *end)
{
	const uint8_t *tab;
	uint64_t text = 0;
	size_t len, tlen;

	if (sym->addr && sym->size) {
		*start = sym->addr;
		*end = sym->addr + sym->size;
		return 0;
	}
	tab = elf_image__section(img, ".gopclntab", &len, NULL);
	if (!tab)
		return -ENOENT;
	elf_image__section(img, ".text", &tlen, &text);
	return go_pclntab__find(tab, len, text, name, start, end);
}

/* Go's ABIInternal prologue checks the stack bound in the g (R14):
 * `cmp rsp, [r14+0x10]` (49 3b 66 10), or for big frames
 * `lea r12, [rsp-N]` (4c 8d 64 24) followed by `cmp r12, [r14+0x10]`.
 * Anything else is not the function we think it is. */
static bool go_prologue(const uint8_t *code, size_t len)
{
	static const uint8_t cmp_sp[] = { 0x49, 0x3b, 0x66, 0x10 };
	static const uint8_t lea_r12[] = { 0x4c, 0x8d, 0x64, 0x24 };

	if (len < 8)
		return false;
	return !memcmp(code, cmp_sp, 4) || !memcmp(code, lea_r12, 4);
}

struct stack_check {
	uint64_t jump; /* address of the check's conditional jump; 0: none */
	bool cmp;      /* the bound's cmp was seen */
	int insns;
};

static int on_prologue_insn(void *ctx, const cs_insn *insn)
{
	struct stack_check *c = ctx;

	if (insn->id == X86_INS_CMP)
		c->cmp = true;
	else if (c->cmp && insn->id == X86_INS_JBE)
		c->jump = insn->address;
	/* lea r12, cmp, jbe at most */
	return c->jump || ++c->insns == 3;
}

/* Where the entry probe goes: the stack check's `jbe` to morestack, right
 * after the `cmp`, a decoded instruction boundary. x86 uprobes emulate a
 * jump but single-step a `cmp` with a memory operand out of line, which
 * costs ~20x more (docs/tls-libraries.md); the check leaves the argument
 * registers alone. A call that must grow its stack passes the jump twice
 * (morestack jumps back to the start), with the same arguments: the entry
 * program stores them again. Returns the address, or 0. */
static uint64_t entry_site(const uint8_t *code, size_t len, uint64_t start)
{
	struct stack_check c = { 0 };

	return x86_decode__each(code, len, start, on_prologue_insn, &c) > 0 ? c.jump : 0;
}

/* Entry and RET probes for one function. Returns probes added or 0 with
 * plan->note set. */
static int plan_fn(const struct elf_image *img, const struct elf_func *sym, int fn,
		   uint16_t enter_prog, uint16_t ret_prog, struct tls_plan *plan)
{
	uint64_t start, end, entry, rets[MAX_RETS];
	const uint8_t *code;
	size_t before = plan->n;
	int err, n;

	err = func_bounds(img, sym, fn_names[fn], &start, &end);
	if (err) {
		snprintf(plan->note, sizeof(plan->note), "%s: %s", fn_names[fn],
			 err == -ENOENT ? "not in the symbol table or .gopclntab" :
					  "unreadable .gopclntab");
		return 0;
	}
	code = end > start && end - start <= MAX_FN_BYTES ? elf_image__code(img, start, end - start) :
							     NULL;
	if (!code || !go_prologue(code, end - start)) {
		snprintf(plan->note, sizeof(plan->note), "%s: no Go prologue at 0x%llx",
			 fn_names[fn], (unsigned long long)start);
		return 0;
	}
	entry = entry_site(code, end - start, start);
	if (!entry) {
		snprintf(plan->note, sizeof(plan->note), "%s: no stack-check jump after the prologue",
			 fn_names[fn]);
		return 0;
	}
	n = x86_rets__find(code, end - start, start, rets, MAX_RETS);
	if (n <= 0) {
		snprintf(plan->note, sizeof(plan->note), "%s: %s", fn_names[fn],
			 n == 0 ? "no RET instruction" : "code does not decode within its bounds");
		return 0;
	}
	if (ret_prog == TLS_PROG_MAX) {
		tls_plan__add(plan, enter_prog, elf_image__file_off(img, entry));
		return plan->n - before;
	}
	if (plan->n + 1 + n > TLS_PLAN_MAX) {
		snprintf(plan->note, sizeof(plan->note), "%s: too many RETs", fn_names[fn]);
		return 0;
	}
	tls_plan__add(plan, enter_prog, elf_image__file_off(img, entry));
	for (int i = 0; i < n; i++)
		tls_plan__add(plan, ret_prog, elf_image__file_off(img, rets[i]));
	return plan->n - before;
}

int tls_go__locate(const struct elf_image *img, struct text_refs *refs, struct tls_plan *plan)
{
	struct elf_func f[FN_MAX];

#if !defined(__x86_64__)
	snprintf(plan->note, sizeof(plan->note), "Go probes exist for x86-64 only");
	return 0;
#endif
	elf_image__funcs(img, fn_names, FN_MAX, f);
	if (!plan_fn(img, &f[FN_WRITE], FN_WRITE, TLS_PROG_GO_WRITE, TLS_PROG_GO_WRITE_RET, plan) ||
	    !plan_fn(img, &f[FN_READ], FN_READ, TLS_PROG_GO_READ, TLS_PROG_GO_READ_RET, plan)) {
		plan->n = 0; /* both directions or nothing */
		return 0;
	}
	/* Close only ends the stream early; its absence is not fatal. */
	plan_fn(img, &f[FN_CLOSE], FN_CLOSE, TLS_PROG_GO_CLOSE, TLS_PROG_MAX, plan);
	plan->note[0] = 0;
	return plan->n;
}
