// SPDX-License-Identifier: MIT
/* A shared BoringSSL/aws-lc libcrypto located by its exported EVP_AEAD_CTX_*
 * symbols (tls_awslc.c), on Debian's android-libboringssl (scripts/deps.sh):
 * the probes land on the very code the dynamic linker resolves. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

#include "discover/elf_image.h"
#include "discover/tls_lib.h"
#include "slurp.h"

#define ANDROID "/usr/lib/x86_64-linux-gnu/android/"
#define BORING_CRYPTO ANDROID "libcrypto.so.0"
#define BORING_SSL ANDROID "libssl.so.0"

static uint64_t off_of(const struct tls_plan *p, int prog, int nth)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->probes[i].prog == prog && !nth--)
			return p->probes[i].off;
	return 0;
}

/* The probe at file offset off sits on fn's first bytes, as loaded. */
static void assert_on(const uint8_t *file, uint64_t off, void *lib, const char *fn)
{
	const uint8_t *code = dlsym(lib, fn);

	cr_assert_not_null(code, "%s", fn);
	cr_assert(off, "%s: no probe", fn);
	cr_assert_eq(memcmp(file + off, code, 16), 0, "%s: probe not on its code", fn);
}

Test(tls_aead_exported, boringssl_libcrypto_by_symbols)
{
	static struct tls_plan p;
	size_t len;
	uint8_t *b;
	void *lib;

	cr_assert_eq(access(BORING_CRYPTO, R_OK), 0, "apt-get install android-libboringssl");
	cr_assert_eq(tls_lib__plan(BORING_CRYPTO, &p), 5, "%s", p.note);
	cr_assert_eq(p.lib, TLS_LIB_AEAD);
	cr_assert_eq(p.detected, 1u << TLS_LIB_AEAD);
	/* found by name: not rustls's evidence, no probation */
	cr_assert_eq(tls_plan__located(&p), 1u << TLS_LIB_AEAD);
	b = (uint8_t *)test_slurp(BORING_CRYPTO, &len);
	lib = dlopen(BORING_CRYPTO, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(lib, "%s", dlerror());
	assert_on(b, off_of(&p, TLS_PROG_AEAD_SEAL, 0), lib, "EVP_AEAD_CTX_seal");
	assert_on(b, off_of(&p, TLS_PROG_AEAD_OPEN, 0), lib, "EVP_AEAD_CTX_open");
	cr_assert_eq(off_of(&p, TLS_PROG_AEAD_OPEN_RET, 0), off_of(&p, TLS_PROG_AEAD_OPEN, 0));
	assert_on(b, off_of(&p, TLS_PROG_AEAD_INIT, 0), lib, "EVP_AEAD_CTX_init_with_direction");
	/* EVP_AEAD_CTX_init inlines it here: probed too */
	assert_on(b, off_of(&p, TLS_PROG_AEAD_INIT, 1), lib, "EVP_AEAD_CTX_init");
	dlclose(lib);
	free(b);
}

/* Its libssl exports SSL_read: the SSL_* probes, never the AEAD ones. */
Test(tls_aead_exported, boringssl_libssl_is_openssl_shaped)
{
	static struct tls_plan p;

	cr_assert_gt(tls_lib__plan(BORING_SSL, &p), 0, "%s", p.note);
	cr_assert_eq(p.lib, TLS_LIB_OPENSSL);
	cr_assert_eq(p.detected, 1u << TLS_LIB_OPENSSL);
}

/* OpenSSL's own libcrypto (now a candidate file too) carries nothing to
 * probe and nothing to report. */
Test(tls_aead_exported, openssl_libcrypto_is_nothing)
{
	static const char path[] = "/usr/lib/x86_64-linux-gnu/libcrypto.so.3";
	static struct tls_plan p;

	if (access(path, R_OK))
		return; /* not on this machine */
	cr_assert_eq(tls_lib__plan(path, &p), 0);
	cr_assert_eq(p.lib, TLS_LIB_NONE, "%s", p.note);
	cr_assert_eq(p.detected, 0);
}

/* Without EVP_AEAD_CTX_seal in .dynsym the file is not taken for one. */
Test(tls_aead_exported, missing_seal_symbol_is_refused)
{
	static struct tls_plan p;
	struct elf_image *img;
	uint8_t *b, *hit;
	size_t len;

	b = (uint8_t *)test_slurp(BORING_CRYPTO, &len);
	hit = memmem(b, len, "\0EVP_AEAD_CTX_seal\0", 19);
	cr_assert_not_null(hit);
	hit[1] = 'X';
	cr_assert_eq(elf_image__from_memory(b, len, &img), 0);
	cr_assert_eq(tls_lib__plan_image(img, &p), 0);
	cr_assert_eq(p.lib, TLS_LIB_NONE);
	elf_image__close(img);
	free(b);
}
