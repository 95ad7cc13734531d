// SPDX-License-Identifier: MIT
/* TLS libraries linked statically into stripped binaries, recognised by
 * the strings that survive stripping. Locating their plaintext functions
 * is each library's own file (tls_ossl_static.c, tls_boringssl.c); a
 * library detected but not located (rustls) is reported, never silently
 * skipped. */
#include <stdio.h>
#include <string.h>

#include "discover/elf_image.h"
#include "discover/tls_lib.h"

static bool has(const struct elf_image *img, const char *s)
{
	return elf_image__find_data(img, s, strlen(s), NULL) != NULL;
}

static bool exports_ssl_read(const struct elf_image *img)
{
	static const char *const name[] = { "SSL_read" };
	struct elf_func f;

	return elf_image__funcs(img, name, 1, &f) > 0;
}

/* BoringSSL records __FILE__ in its errors (ssl_lib.cc) and calls itself
 * BoringSSL in its version text. */
bool tls_static__detect_boringssl(const struct elf_image *img, char *version, size_t len)
{
	if (exports_ssl_read(img))
		return false;
	if (!has(img, "ssl_lib.cc") && !has(img, "(compatible; BoringSSL)"))
		return false;
	snprintf(version, len, "%s", "");
	return true;
}

/* OpenSSL 3 records __func__ in ERR_raise (ssl_write_internal,
 * ssl_read_internal); its version text is "OpenSSL 3.x.y DATE". */
bool tls_static__detect_openssl(const struct elf_image *img, char *version, size_t len)
{
	if (exports_ssl_read(img))
		return false;
	if (!has(img, "ssl_write_internal") && !has(img, "ssl3_write_bytes"))
		return false;
	return elf_image__version_after(img, "OpenSSL ", version, len);
}

/* Panic locations keep the crate path: .../rustls-0.23.12/src/... */
bool tls_static__detect_rustls(const struct elf_image *img, char *version, size_t len)
{
	return elf_image__version_after(img, "/rustls-", version, len) || has(img, "rustls::");
}
