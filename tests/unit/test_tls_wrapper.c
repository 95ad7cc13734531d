// SPDX-License-Identifier: MIT
/*
 * OpenSSL's wrapper pairs (tls_wrapper.h): the code of Debian's libssl 3.0
 * as bytes, each way it can differ from a pass-through wrapper, and the
 * plan for the real libssl.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover/elf_image.h"
#include "discover/tls_lib.h"
#include "discover/tls_wrapper.h"

#define LIBSSL "/usr/lib/x86_64-linux-gnu/libssl.so.3"

/* SSL_read of libssl 3.0.x at 0x35430: sub rsp; stack protector; test
 * edx; js; mov rcx, rsp; movsxd rdx, edx; call 0x35290; test eax, eax;
 * jle; mov eax, [rsp]. */
static const uint8_t ssl_read[] = {
	0x48, 0x83, 0xec, 0x18, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00,
	0x48, 0x89, 0x44, 0x24, 0x08, 0x31, 0xc0, 0x85, 0xd2, 0x78, 0x2f, 0x48, 0x89,
	0xe1, 0x48, 0x63, 0xd2, 0xe8, 0x3d, 0xfe, 0xff, 0xff, 0x85, 0xc0, 0x7e, 0x03,
	0x8b, 0x04, 0x24, 0x48, 0x8b, 0x54, 0x24, 0x08,
};
/* SSL_read_ex at 0x354c0: sub rsp, 8; call 0x35290; ... */
static const uint8_t ssl_read_ex[] = {
	0x48, 0x83, 0xec, 0x08, 0xe8, 0xc7, 0xfd, 0xff, 0xff, 0x31, 0xd2, 0x85, 0xc0,
	0x0f, 0x48, 0xc2, 0x48, 0x83, 0xc4, 0x08, 0xc3,
};
#define READ_AT 0x35430
#define READ_EX_AT 0x354c0
#define INTERNAL 0x35290

/* Offsets in ssl_read[] of instructions the variants below change. */
#define MOV_RCX 24 /* 48 89 e1: mov rcx, rsp */
#define MOVSXD 27  /* 48 63 d2 */
#define LOAD 39    /* 8b 04 24: mov eax, [rsp] */

static int callee(const uint8_t *code, size_t len, uint64_t at, int ex, uint64_t *out)
{
	*out = 0;
	return tls_wrapper__callee(code, len, at, ex, out);
}

Test(tls_wrapper, libssl_pair_forwards_to_its_internal_function)
{
	uint64_t a, b;

	cr_assert_eq(callee(ssl_read, sizeof(ssl_read), READ_AT, 0, &a), 0);
	cr_assert_eq(a, INTERNAL, "0x%llx", (unsigned long long)a);
	cr_assert_eq(callee(ssl_read_ex, sizeof(ssl_read_ex), READ_EX_AT, 1, &b), 0);
	cr_assert_eq(b, INTERNAL);
	cr_assert_eq(tls_wrapper__pair(ssl_read, READ_AT, ssl_read_ex, READ_EX_AT,
				       sizeof(ssl_read_ex)),
		     0, "a 21-byte window ends before the int wrapper's load");
	cr_assert_eq(tls_wrapper__pair(ssl_read, READ_AT, ssl_read, READ_AT, sizeof(ssl_read)),
		     0, "the int wrapper is no _ex wrapper (it sets rcx)");
}

Test(tls_wrapper, a_wrapper_that_touches_an_argument_is_refused)
{
	uint8_t c[sizeof(ssl_read)];
	uint64_t a;

	/* mov rsi, rdi (48 89 fe) instead of mov rcx, rsp: buf replaced */
	memcpy(c, ssl_read, sizeof(c));
	memcpy(c + MOV_RCX, (const uint8_t[]){ 0x48, 0x89, 0xfe }, 3);
	cr_assert_eq(callee(c, sizeof(c), READ_AT, 0, &a), -ENOENT);
	/* add rdx, rdx (48 01 d2) instead of the sign extension */
	memcpy(c, ssl_read, sizeof(c));
	memcpy(c + MOVSXD, (const uint8_t[]){ 0x48, 0x01, 0xd2 }, 3);
	cr_assert_eq(callee(c, sizeof(c), READ_AT, 0, &a), -ENOENT);
	/* the _ex wrapper zeroing rcx (xor ecx, ecx; 31 c9) before its call */
	{
		const uint8_t ex[] = { 0x48, 0x83, 0xec, 0x08, 0x31, 0xc9,
				       0xe8, 0xc5, 0xfd, 0xff, 0xff, 0xc3 };

		cr_assert_eq(callee(ex, sizeof(ex), READ_EX_AT, 1, &a), -ENOENT);
	}
}

Test(tls_wrapper, a_wrapper_that_returns_another_slot_is_refused)
{
	uint8_t c[sizeof(ssl_read)];
	uint64_t a;

	/* mov eax, [rsp + 8] (8b 44 24 08): the canary slot, not the count */
	memcpy(c, ssl_read, sizeof(c));
	memcpy(c + LOAD, (const uint8_t[]){ 0x8b, 0x44, 0x24, 0x08 }, 4);
	cr_assert_eq(callee(c, sizeof(c), READ_AT, 0, &a), -ENOENT);
	/* the same load when rcx was lea rcx, [rsp + 8] (48 8d 4c 24 08): the
	 * count's slot again; the window is cut to end after the load */
	{
		uint8_t d[sizeof(ssl_read) + 2];

		memcpy(d, ssl_read, MOV_RCX);
		memcpy(d + MOV_RCX, (const uint8_t[]){ 0x48, 0x8d, 0x4c, 0x24, 0x08 }, 5);
		memcpy(d + MOV_RCX + 5, ssl_read + MOV_RCX + 3, sizeof(ssl_read) - MOV_RCX - 3);
		/* the call's displacement now starts 2 bytes later: same callee
		 * needs rel32 - 2 */
		d[30 + 2 + 1] = 0x3b;
		memcpy(d + LOAD + 2, (const uint8_t[]){ 0x8b, 0x44, 0x24, 0x08 }, 4);
		cr_assert_eq(callee(d, LOAD + 2 + 4, READ_AT, 0, &a), 0);
		cr_assert_eq(a, INTERNAL, "0x%llx", (unsigned long long)a);
	}
}

Test(tls_wrapper, an_indirect_call_or_a_moved_stack_is_refused)
{
	uint8_t c[sizeof(ssl_read)];
	uint64_t a;
	/* sub rsp, 8 then call rax: nothing to name */
	const uint8_t ind[] = { 0x48, 0x83, 0xec, 0x08, 0xff, 0xd0, 0xc3 };
	/* mov rcx, rsp; push rbx; call: the slot moved under rcx */
	const uint8_t moved[] = { 0x48, 0x89, 0xe1, 0x53, 0xe8, 0x00, 0x00, 0x00, 0x00,
				  0x85, 0xc0, 0x7e, 0x03, 0x8b, 0x04, 0x24 };

	cr_assert_eq(callee(ind, sizeof(ind), READ_EX_AT, 1, &a), -ENOENT);
	cr_assert_eq(callee(moved, sizeof(moved), READ_AT, 0, &a), -ENOENT);
	/* the window ends before the call */
	memcpy(c, ssl_read, sizeof(c));
	cr_assert_eq(callee(c, 30, READ_AT, 0, &a), -ENOENT);
}

Test(tls_wrapper, wrappers_forwarding_to_different_functions_are_refused)
{
	uint8_t ex[sizeof(ssl_read_ex)];

	memcpy(ex, ssl_read_ex, sizeof(ex));
	ex[5] ^= 0x10; /* the _ex wrapper calls elsewhere */
	cr_assert_eq(tls_wrapper__pair(ssl_read, READ_AT, ex, READ_EX_AT, sizeof(ex)), 0);
	cr_assert_eq(tls_wrapper__pair(ssl_read, READ_AT, ssl_read_ex, READ_EX_AT,
				       sizeof(ssl_read_ex)),
		     0);
}

Test(tls_wrapper, libssl_is_probed_on_the_internal_functions)
{
	static const char *const names[] = { "SSL_read", "SSL_write", "SSL_read_ex",
					     "SSL_write_ex" };
	static struct tls_plan p, old;
	struct elf_image *img;
	struct elf_func f[4];
	uint64_t sym_off[4];

	if (access(LIBSSL, R_OK))
		cr_skip_test("no %s here", LIBSSL);
	cr_assert_eq(elf_image__open(LIBSSL, &img), 0);
	cr_assert_eq(elf_image__funcs(img, names, 4, f), 4);
	for (int i = 0; i < 4; i++)
		sym_off[i] = elf_image__file_off(img, f[i].addr);
	elf_image__close(img);

	cr_assert_eq(tls_lib__plan(LIBSSL, &p), 6, "%s", p.note);
	for (size_t i = 0; i < p.n; i++) {
		for (int k = 0; k < 4; k++)
			cr_assert_neq(p.probes[i].off, sym_off[k], "probe %zu on %s", i, names[k]);
		if (p.probes[i].prog == TLS_PROG_SSL_READ_EX ||
		    p.probes[i].prog == TLS_PROG_SSL_READ_EX_RET ||
		    p.probes[i].prog == TLS_PROG_SSL_WRITE_EX ||
		    p.probes[i].prog == TLS_PROG_SSL_WRITE_EX_RET)
			cr_assert_eq(p.probes[i].inner, 1);
	}
	/* the knob puts them back on the wrappers' entries (bench row) */
	setenv("AGENTRACE_NO_TLS_INTERNAL", "1", 1);
	cr_assert_eq(tls_lib__plan(LIBSSL, &old), 10, "%s", old.note);
	unsetenv("AGENTRACE_NO_TLS_INTERNAL");
	cr_assert_eq(old.probes[0].off, sym_off[1], "SSL_write first");
}
