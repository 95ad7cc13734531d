// SPDX-License-Identifier: MIT
/* OpenSSL (and any library exporting its API, e.g. BoringSSL built as a
 * shared object) located through SSL_* symbols: .dynsym, then .symtab. */
#include <stdio.h>

#include "discover/elf_image.h"
#include "discover/tls_lib.h"

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

int tls_openssl__locate(const struct elf_image *img, struct text_refs *refs,
			struct tls_plan *plan)
{
	struct elf_func f[FN_MAX];

	elf_image__funcs(img, fn_names, FN_MAX, f);
	for (int i = 0; i < FN_MAX; i++) {
		uint64_t off = f[i].addr ? elf_image__file_off(img, f[i].addr) : 0;

		if (!off)
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
