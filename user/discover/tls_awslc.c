// SPDX-License-Identifier: MIT
/*
 * rustls over aws-lc-rs, linked statically into a stripped Rust binary
 * (Codex with a custom CA). rustls itself is inlined and monomorphised
 * into the application: it has no function with a stable entry. Every TLS
 * record it protects goes through aws-lc's C AEAD API instead, called by
 * aws-lc-rs (checked live on Codex 0.169.0: one EVP_AEAD_CTX_seal per
 * record written, one EVP_AEAD_CTX_open per record read, each context
 * made by EVP_AEAD_CTX_init_with_direction on the thread that just read
 * the handshake flight that keyed it):
 *
 *   int EVP_AEAD_CTX_seal(ctx, out, *out_len, max_out_len, nonce,
 *                         nonce_len, in, in_len, ad, ad_len);
 *   int EVP_AEAD_CTX_open(...same shape...);
 *
 * aws-lc reports errors like BoringSSL, with __FILE__
 * (".../crypto/fipsmodule/cipher/aead.c") and a CIPHER_R_* reason, so the
 * functions are told apart by their reason sets (err_refs.c):
 *
 *   EVP_AEAD_CTX_seal   TOO_LARGE, BUFFER_TOO_SMALL, OUTPUT_ALIASES_INPUT
 *   EVP_AEAD_CTX_open   BAD_DECRYPT, BUFFER_TOO_SMALL, OUTPUT_ALIASES_INPUT,
 *                       and open_gather's CTRL_NOT_IMPLEMENTED and
 *                       OUTPUT_ALIASES_INPUT inlined (or a direct call to
 *                       the function reporting exactly those two)
 *   EVP_AEAD_CTX_init_with_direction  UNSUPPORTED_KEY_SIZE only
 *   EVP_AEAD_CTX_init   NO_DIRECTION_SET and UNSUPPORTED_KEY_SIZE (the
 *                       above inlined; optional)
 *
 * Unlike Bun's BoringSSL, aws-lc keeps unwind tables: each start must also
 * be an .eh_frame FDE start, and seal and open must be called directly
 * from somewhere. Exactly one function may match each; anything else and
 * rustls is reported, not traced.
 *
 * A shared aws-lc or BoringSSL libcrypto (distributions' builds, Debian's
 * android-libboringssl) exports the same functions by name: its probes
 * come from .dynsym, with no evidence to weigh. Such a library under its
 * own libssl is left to the SSL_* probes (tls_openssl.c) when they share
 * a file; bpf/tls_aead.bpf.h skips records sealed or opened inside an
 * SSL_* call when they do not.
 */
#include <stdio.h>
#include <string.h>

#include "discover/eh_frame.h"
#include "discover/elf_image.h"
#include "discover/err_refs.h"
#include "discover/tls_lib.h"

/* aws-lc's ABI (include/openssl/err.h, cipher.h). */
#define ERR_LIB_CIPHER 30
#define R_BAD_DECRYPT 101
#define R_BUFFER_TOO_SMALL 103
#define R_CTRL_NOT_IMPLEMENTED 104
#define R_OUTPUT_ALIASES_INPUT 115
#define R_TOO_LARGE 117
#define R_UNSUPPORTED_KEY_SIZE 120
#define R_NO_DIRECTION_SET 124

/* start is where .eh_frame says a function starts. */
static bool fde_start(const struct elf_image *img, uint64_t start)
{
	uint64_t s, e;

	return start && !eh_frame__func_bounds(img, start, &s, &e) && s == start;
}

/* EVP_AEAD_CTX_open, with open_gather inlined or called. */
static uint64_t find_open(const struct err_refs *s)
{
	static const uint16_t inlined[] = { R_BAD_DECRYPT, R_BUFFER_TOO_SMALL,
					    R_CTRL_NOT_IMPLEMENTED, R_OUTPUT_ALIASES_INPUT,
					    R_OUTPUT_ALIASES_INPUT };
	static const uint16_t outer[] = { R_BAD_DECRYPT, R_BUFFER_TOO_SMALL,
					  R_OUTPUT_ALIASES_INPUT };
	static const uint16_t gather[] = { R_CTRL_NOT_IMPLEMENTED, R_OUTPUT_ALIASES_INPUT };
	uint64_t a = err_refs__match_one(s, inlined, 5, NULL, 0);
	uint64_t b = err_refs__match_one(s, outer, 3, gather, 2);

	return a && b ? 0 : a ? a : b;
}

#define AEAD_FILE "/crypto/fipsmodule/cipher/aead.c"

void tls_awslc__want(const struct elf_image *img, struct text_refs *refs)
{
	err_refs__want(img, refs, AEAD_FILE);
}

int tls_awslc__locate(const struct elf_image *img, struct text_refs *refs, struct tls_plan *plan)
{
	static const uint16_t seal_reasons[] = { R_BUFFER_TOO_SMALL, R_OUTPUT_ALIASES_INPUT,
						 R_TOO_LARGE };
	static const uint16_t initd_reasons[] = { R_UNSUPPORTED_KEY_SIZE };
	static const uint16_t init_reasons[] = { R_UNSUPPORTED_KEY_SIZE, R_NO_DIRECTION_SET };
	struct err_refs *s = NULL;
	uint64_t seal, open, initd, init;
	bool seal_called, open_called;
	size_t want;
	int err;

	err = err_refs__scan_or_note(img, refs, AEAD_FILE, ERR_LIB_CIPHER, "aws-lc aead.c",
				     plan->note, sizeof(plan->note), &s);
	if (err > 0)
		return 0;
	if (err)
		goto cleanup;
	seal = err_refs__match_one(s, seal_reasons, 3, NULL, 0);
	open = find_open(s);
	initd = err_refs__match_one(s, initd_reasons, 1, NULL, 0);
	init = err_refs__match_one(s, init_reasons, 2, NULL, 0);
	if (!fde_start(img, seal) || !fde_start(img, open) || !fde_start(img, initd)) {
		snprintf(plan->note, sizeof(plan->note),
			 "aws-lc %s not identified by its aead.c error reasons and .eh_frame "
			 "(%zu references, %zu functions)",
			 !fde_start(img, seal) ? "EVP_AEAD_CTX_seal" :
			 !fde_start(img, open) ? "EVP_AEAD_CTX_open" :
			 "EVP_AEAD_CTX_init_with_direction",
			 err_refs__n_refs(s), err_refs__n_fns(s));
		goto cleanup;
	}
	err_refs__called(s, seal, open, &seal_called, &open_called);
	if (!seal_called || !open_called) {
		snprintf(plan->note, sizeof(plan->note), "aws-lc %s candidate at 0x%llx is never called",
			 !seal_called ? "EVP_AEAD_CTX_seal" : "EVP_AEAD_CTX_open",
			 (unsigned long long)(!seal_called ? seal : open));
		goto cleanup;
	}
	want = plan->n + 4;
	tls_plan__add(plan, TLS_PROG_AEAD_INIT, elf_image__file_off(img, initd));
	tls_plan__add(plan, TLS_PROG_AEAD_SEAL, elf_image__file_off(img, seal));
	tls_plan__add(plan, TLS_PROG_AEAD_OPEN, elf_image__file_off(img, open));
	tls_plan__add(plan, TLS_PROG_AEAD_OPEN_RET, elf_image__file_off(img, open));
	if (fde_start(img, init) && plan->n == want) {
		tls_plan__add(plan, TLS_PROG_AEAD_INIT, elf_image__file_off(img, init));
		want++;
	}
	if (plan->n != want) {
		plan->n = 0;
		snprintf(plan->note, sizeof(plan->note), "functions outside the code segment");
	}
cleanup:
	err_refs__free(s);
	return err ? err : (int)plan->n;
}

enum { X_SEAL, X_OPEN, X_INITD, X_INIT, X_SSL_READ, X_MAX };

static const char *const exported[X_MAX] = {
	[X_SEAL] = "EVP_AEAD_CTX_seal", [X_OPEN] = "EVP_AEAD_CTX_open",
	[X_INITD] = "EVP_AEAD_CTX_init_with_direction", [X_INIT] = "EVP_AEAD_CTX_init",
	[X_SSL_READ] = "SSL_read",
};

/* Seal, open and init_with_direction by name, in a file without SSL_read
 * (a file with both is OpenSSL-shaped: its SSL_* calls are probed). */
bool tls_awslc__detect_exported(const struct elf_image *img, char *version, size_t len)
{
	struct elf_func f[X_MAX];

	elf_image__funcs(img, exported, X_MAX, f);
	if (!f[X_SEAL].addr || !f[X_OPEN].addr || !f[X_INITD].addr || f[X_SSL_READ].addr)
		return false;
	if (!elf_image__version_after(img, "AWS-LC ", version, len))
		snprintf(version, len, "%s", "");
	return true;
}

int tls_awslc__locate_exported(const struct elf_image *img, struct text_refs *refs,
			       struct tls_plan *plan)
{
	static const uint16_t prog[X_SSL_READ] = {
		[X_SEAL] = TLS_PROG_AEAD_SEAL, [X_OPEN] = TLS_PROG_AEAD_OPEN,
		[X_INITD] = TLS_PROG_AEAD_INIT, [X_INIT] = TLS_PROG_AEAD_INIT,
	};
	struct elf_func f[X_MAX];
	struct tls_plan try;

	(void)refs; /* found by name: no .text references */
	memset(&try, 0, sizeof(try));
	elf_image__funcs(img, exported, X_MAX, f);
	for (int i = 0; i < X_SSL_READ; i++) {
		uint64_t off = f[i].addr ? elf_image__file_off(img, f[i].addr) : 0;

		/* init inlines init_with_direction: both link a context */
		if (!off && i != X_INIT)
			break;
		tls_plan__add(&try, prog[i], off);
		if (i == X_OPEN)
			tls_plan__add(&try, TLS_PROG_AEAD_OPEN_RET, off);
	}
	if (try.n < 4 || plan->n + try.n > TLS_PLAN_MAX) {
		snprintf(plan->note, sizeof(plan->note),
			 "EVP_AEAD_CTX_* symbols outside any executable segment");
		return 0;
	}
	memcpy(plan->probes + plan->n, try.probes, try.n * sizeof(try.probes[0]));
	plan->n += try.n;
	return (int)plan->n;
}
