// SPDX-License-Identifier: MIT
/* OpenSSL (and any library exporting its API, e.g. BoringSSL built as a
 * shared object) located through SSL_* symbols: .dynsym, then .symtab. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "discover/elf_image.h"
#include "discover/tls_lib.h"
#include "discover/tls_wrapper.h"

enum { FN_WRITE, FN_WRITE_EX, FN_READ, FN_READ_EX, FN_SHUTDOWN, FN_FREE, FN_MAX };

static const char *const fn_names[FN_MAX] = {
	[FN_WRITE] = "SSL_write", [FN_WRITE_EX] = "SSL_write_ex",
	[FN_READ] = "SSL_read",   [FN_READ_EX] = "SSL_read_ex",
	[FN_SHUTDOWN] = "SSL_shutdown", [FN_FREE] = "SSL_free",
};

/* Entry program and return program (TLS_PROG_MAX: none) per function. */
static const struct { uint16_t enter, ret; } fn_progs[FN_MAX] = {
	[FN_WRITE] = { TLS_PROG_SSL_WRITE, TLS_PROG_SSL_WRITE_RET },
	[FN_WRITE_EX] = { TLS_PROG_SSL_WRITE_EX, TLS_PROG_SSL_WRITE_EX_RET },
	[FN_READ] = { TLS_PROG_SSL_READ, TLS_PROG_SSL_READ_RET },
	[FN_READ_EX] = { TLS_PROG_SSL_READ_EX, TLS_PROG_SSL_READ_EX_RET },
	[FN_SHUTDOWN] = { TLS_PROG_SSL_SHUTDOWN, TLS_PROG_MAX },
	[FN_FREE] = { TLS_PROG_SSL_FREE, TLS_PROG_MAX },
};

bool tls_openssl__detect(const struct elf_image *img, char *version, size_t len)
{
	struct elf_func f[FN_MAX];

	elf_image__funcs(img, fn_names, FN_MAX, f);
	if (!f[FN_READ].addr || !f[FN_WRITE].addr)
		return false;
	/* libssl keeps its version text in libcrypto; node carries both. */
	elf_image__version_after(img, "OpenSSL ", version, len);
	return true;
}

/* Bytes of a wrapper's code to look at (its call and return are near). */
#define WRAPPER_CODE 64

/* When fn and fn_ex are OpenSSL 3.0-3.2's thin wrappers around one
 * internal function (tls_wrapper.h), plans the _ex programs on that
 * function instead of on both wrappers and returns true: its first
 * instruction is one the kernel emulates, the wrappers' is single-stepped. */
static bool plan_internal(const struct elf_image *img, const struct elf_func *f, int fn,
			  int fn_ex, struct tls_plan *plan)
{
	const uint8_t *a, *b;
	uint64_t callee, off;

	if (!f[fn].addr || !f[fn_ex].addr)
		return false;
	a = elf_image__code(img, f[fn].addr, WRAPPER_CODE);
	b = elf_image__code(img, f[fn_ex].addr, WRAPPER_CODE);
	if (!a || !b)
		return false;
	callee = tls_wrapper__pair(a, f[fn].addr, b, f[fn_ex].addr, WRAPPER_CODE);
	off = callee ? elf_image__file_off(img, callee) : 0;
	if (!off)
		return false;
	debug("tls: %s and %s forward to 0x%llx: probed there", fn_names[fn],
		  fn_names[fn_ex], (unsigned long long)callee);
	for (int ret = 0; ret < 2; ret++)
		if (tls_plan__add(plan, ret ? fn_progs[fn_ex].ret : fn_progs[fn_ex].enter, off))
			plan->probes[plan->n - 1].inner = 1;
	return true;
}

bool tls_openssl__wrappers_only(void)
{
	return getenv("AGENTRACE_NO_TLS_INTERNAL") != NULL;
}

int tls_openssl__locate(const struct elf_image *img, struct text_refs *refs,
			struct tls_plan *plan)
{
	struct elf_func f[FN_MAX];
	bool done[FN_MAX] = { false };

	elf_image__funcs(img, fn_names, FN_MAX, f);
	if (!tls_openssl__wrappers_only()) {
		done[FN_READ] = done[FN_READ_EX] = plan_internal(img, f, FN_READ, FN_READ_EX, plan);
		done[FN_WRITE] = done[FN_WRITE_EX] =
			plan_internal(img, f, FN_WRITE, FN_WRITE_EX, plan);
	}
	for (int i = 0; i < FN_MAX; i++) {
		uint64_t off = f[i].addr ? elf_image__file_off(img, f[i].addr) : 0;

		if (!off || done[i])
			continue;
		tls_plan__add(plan, fn_progs[i].enter, off);
		if (fn_progs[i].ret != TLS_PROG_MAX)
			tls_plan__add(plan, fn_progs[i].ret, off);
	}
	if (!plan->n)
		snprintf(plan->note, sizeof(plan->note),
			 "SSL_read/SSL_write symbols outside any executable segment");
	return plan->n;
}
