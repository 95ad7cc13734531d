// SPDX-License-Identifier: MIT
/*
 * BoringSSL linked statically into a stripped executable (Bun, hence Claude
 * Code). BoringSSL keeps no function names, but OPENSSL_PUT_ERROR calls
 * ERR_put_error(ERR_LIB_SSL, 0, reason, __FILE__, __LINE__), so the code
 * that passes the ".../ssl/ssl_lib.cc" string lies inside the ssl_lib.cc
 * function reporting that reason, and each API function reports its own
 * set of reasons (ssl/ssl_lib.cc):
 *
 *   SSL_write       SHOULD_NOT_HAVE_BEEN_CALLED (QUIC), UNINITIALIZED,
 *                   SSL_HANDSHAKE_FAILURE, BAD_LENGTH; nothing else
 *   ssl_read_impl   UNINITIALIZED, SSL_HANDSHAKE_FAILURE; nothing else
 *   SSL_read        SHOULD_NOT_HAVE_BEEN_CALLED only (SSL_peek inlined),
 *                   and a direct call to ssl_read_impl
 *   SSL_shutdown    UNINITIALIZED, APPLICATION_DATA_ON_SHUTDOWN, and a
 *                   direct call to ssl_read_impl (optional: it ends the
 *                   stream; SSL_free reports no error and is not found)
 *
 * The functions are found and decoded by err_refs.c. Each start must also
 * be the target of a direct call somewhere in .text. Exactly one function
 * may match each description; anything else and the binary is left alone
 * (reported, not traced).
 */
#include <stdio.h>

#include "discover/elf_image.h"
#include "discover/err_refs.h"
#include "discover/tls_lib.h"

/* Error codes are BoringSSL's ABI (include/openssl/err.h, ssl.h). */
#define ERR_LIB_SSL 16
#define R_SHOULD_NOT_HAVE_BEEN_CALLED 66
#define R_BAD_LENGTH 111
#define R_SSL_HANDSHAKE_FAILURE 215
#define R_UNINITIALIZED 226
#define R_APPLICATION_DATA_ON_SHUTDOWN 291

#define SSL_LIB_FILE "ssl/ssl_lib.cc"

void tls_boringssl__want(const struct elf_image *img, struct text_refs *refs)
{
	err_refs__want(img, refs, SSL_LIB_FILE);
}

int tls_boringssl__locate(const struct elf_image *img, struct text_refs *refs,
			  struct tls_plan *plan)
{
	static const uint16_t write_reasons[] = { R_SHOULD_NOT_HAVE_BEEN_CALLED, R_BAD_LENGTH,
						  R_SSL_HANDSHAKE_FAILURE, R_UNINITIALIZED };
	static const uint16_t impl_reasons[] = { R_SSL_HANDSHAKE_FAILURE, R_UNINITIALIZED };
	static const uint16_t read_reasons[] = { R_SHOULD_NOT_HAVE_BEEN_CALLED };
	static const uint16_t shutdown_reasons[] = { R_UNINITIALIZED,
						     R_APPLICATION_DATA_ON_SHUTDOWN };
	struct err_refs *s = NULL;
	uint64_t wr, rd, sd;
	bool wr_called, rd_called, sd_called = false, unused;
	int err;

	err = err_refs__scan_or_note(img, refs, SSL_LIB_FILE, ERR_LIB_SSL, "ssl_lib.cc",
				     plan->note, sizeof(plan->note), &s);
	if (err > 0)
		return 0;
	if (err)
		goto cleanup;
	wr = err_refs__match_one(s, write_reasons, 4, NULL, 0);
	rd = err_refs__match_one(s, read_reasons, 1, impl_reasons, 2);
	if (!wr || !rd) {
		snprintf(plan->note, sizeof(plan->note),
			 "%s not identified by its ssl_lib.cc error reasons (%zu references, "
			 "%zu functions)", !wr ? "SSL_write" : "SSL_read", err_refs__n_refs(s),
			 err_refs__n_fns(s));
		goto cleanup;
	}
	err_refs__called(s, wr, rd, &wr_called, &rd_called);
	if (!wr_called || !rd_called) {
		snprintf(plan->note, sizeof(plan->note), "%s candidate at 0x%llx is never called",
			 !wr_called ? "SSL_write" : "SSL_read",
			 (unsigned long long)(!wr_called ? wr : rd));
		goto cleanup;
	}
	tls_plan__add(plan, TLS_PROG_SSL_WRITE, elf_image__file_off(img, wr));
	tls_plan__add(plan, TLS_PROG_SSL_WRITE_RET, elf_image__file_off(img, wr));
	tls_plan__add(plan, TLS_PROG_SSL_READ, elf_image__file_off(img, rd));
	tls_plan__add(plan, TLS_PROG_SSL_READ_RET, elf_image__file_off(img, rd));
	/* the stream's end, so its state does not wait for the LRU */
	sd = err_refs__match_one(s, shutdown_reasons, 2, impl_reasons, 2);
	if (sd)
		err_refs__called(s, sd, sd, &sd_called, &unused);
	if (sd_called && plan->n == 4)
		tls_plan__add(plan, TLS_PROG_SSL_SHUTDOWN, elf_image__file_off(img, sd));
	if (plan->n != 4u + sd_called) {
		plan->n = 0;
		snprintf(plan->note, sizeof(plan->note), "functions outside the code segment");
	}
cleanup:
	err_refs__free(s);
	return err ? err : (int)plan->n;
}
