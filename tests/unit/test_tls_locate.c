// SPDX-License-Identifier: MIT
/*
 * TLS function location on real binaries: the Go fixtures make builds
 * (build/tests/go_openai, with symbols, and go_openai_stripped, .gopclntab
 * only), the system node (OpenSSL symbols) and libssl. A corrupted
 * candidate must be refused: nothing may be planned at an address we have
 * not verified.
 */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover/elf_image.h"
#include "discover/go_pclntab.h"
#include "discover/text_refs.h"
#include "discover/tls_lib.h"
#include "discover/x86_rets.h"
#include "slurp.h"

#define GO_SYMS "build/tests/go_openai"
#define GO_STRIPPED "build/tests/go_openai_stripped"

static uint8_t *slurp_file(const char *path, size_t *len)
{
	cr_assert_eq(access(path, R_OK), 0, "%s missing (make builds it)", path);
	return (uint8_t *)test_slurp(path, len);
}

static int plan_memory(const uint8_t *b, size_t len, struct tls_plan *plan)
{
	struct elf_image *img;
	int n;

	cr_assert_eq(elf_image__from_memory(b, len, &img), 0);
	n = tls_lib__plan_image(img, plan);
	elf_image__close(img);
	return n;
}

static int count_prog(const struct tls_plan *p, int prog)
{
	int n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += p->probes[i].prog == prog;
	return n;
}

static uint64_t first_off(const struct tls_plan *p, int prog)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->probes[i].prog == prog)
			return p->probes[i].off;
	return 0;
}

/* Every planned Go offset is the jump of Go's stack-check prologue (the
 * entry probe: emulated, not single-stepped) or a RET byte, checked
 * against the file's bytes. */
static void check_go_plan(const uint8_t *b, const struct tls_plan *p)
{
	cr_assert_eq(p->lib, TLS_LIB_GO, "%s", p->note);
	cr_assert(count_prog(p, TLS_PROG_GO_WRITE) == 1 && count_prog(p, TLS_PROG_GO_READ) == 1);
	cr_assert_gt(count_prog(p, TLS_PROG_GO_WRITE_RET), 0);
	cr_assert_gt(count_prog(p, TLS_PROG_GO_READ_RET), 0);
	cr_assert_eq(count_prog(p, TLS_PROG_GO_CLOSE), 1);
	for (size_t i = 0; i < p->n; i++) {
		const uint8_t *at = b + p->probes[i].off;
		int prog = p->probes[i].prog;

		if (prog == TLS_PROG_GO_WRITE_RET || prog == TLS_PROG_GO_READ_RET)
			cr_assert_eq(at[0], 0xc3, "probe %zu at 0x%llx is not a RET", i,
				     (unsigned long long)p->probes[i].off);
		else /* the stack check's jbe, right after its cmp [r14+0x10] */
			cr_assert((at[0] == 0x76 || (at[0] == 0x0f && at[1] == 0x86)) &&
					  (!memcmp(at - 4, "\x49\x3b\x66\x10", 4) ||
					   !memcmp(at - 4, "\x4d\x3b\x66\x10", 4)),
				  "probe %zu at 0x%llx is not the stack check's jump", i,
				  (unsigned long long)p->probes[i].off);
	}
	cr_assert(!strncmp(p->versions[TLS_LIB_GO], "go1.", 4), "%s", p->versions[TLS_LIB_GO]);
}

Test(tls_locate, go_symbols_and_pclntab_agree)
{
	size_t l1, l2;
	uint8_t *b1 = slurp_file(GO_SYMS, &l1), *b2 = slurp_file(GO_STRIPPED, &l2);
	static struct tls_plan p1, p2;

	cr_assert_gt(plan_memory(b1, l1, &p1), 0, "%s", p1.note);
	cr_assert_gt(plan_memory(b2, l2, &p2), 0, "%s", p2.note);
	check_go_plan(b1, &p1);
	check_go_plan(b2, &p2);
	/* the same function bounds whichever table found them */
	cr_assert_eq(p1.n, p2.n);
	free(b1);
	free(b2);
}

Test(tls_locate, go_corrupt_prologue_is_refused)
{
	size_t len;
	uint8_t *b = slurp_file(GO_SYMS, &len);
	static struct tls_plan p;
	uint64_t off;

	cr_assert_gt(plan_memory(b, len, &p), 0);
	off = first_off(&p, TLS_PROG_GO_WRITE) - 4; /* the function's start */
	b[off] = 0x90; /* no longer Go's stack check */
	cr_assert_eq(plan_memory(b, len, &p), 0);
	cr_assert_eq(p.lib, TLS_LIB_GO);
	cr_assert(strstr(p.note, "prologue"), "%s", p.note);
	free(b);
}

Test(tls_locate, go_undecodable_body_is_refused)
{
	size_t len;
	uint8_t *b = slurp_file(GO_STRIPPED, &len);
	static struct tls_plan p;
	uint64_t off;

	cr_assert_gt(plan_memory(b, len, &p), 0);
	off = first_off(&p, TLS_PROG_GO_READ);
	/* the instruction after the stack check's jbe becomes 0x06, which
	 * does not exist in 64-bit mode */
	b[off + (b[off] == 0x76 ? 2 : 6)] = 0x06;
	cr_assert_eq(plan_memory(b, len, &p), 0);
	cr_assert(strstr(p.note, "decode"), "%s", p.note);
	free(b);
}

Test(tls_locate, go_stripped_corrupt_pclntab_is_refused)
{
	size_t len, tlen;
	uint8_t *b = slurp_file(GO_STRIPPED, &len);
	struct elf_image *img;
	static struct tls_plan p;
	const uint8_t *tab;

	cr_assert_eq(elf_image__from_memory(b, len, &img), 0);
	tab = elf_image__section(img, ".gopclntab", &tlen, NULL);
	cr_assert_not_null(tab);
	b[tab - b] ^= 0xff; /* unknown magic */
	elf_image__close(img);
	cr_assert_eq(plan_memory(b, len, &p), 0);
	cr_assert_eq(p.lib, TLS_LIB_GO);
	cr_assert(strstr(p.note, "gopclntab"), "%s", p.note);
	free(b);
}

Test(tls_locate, pclntab_truncations_never_read_out_of_bounds)
{
	size_t len, tlen;
	uint8_t *b = slurp_file(GO_STRIPPED, &len);
	struct elf_image *img;
	const uint8_t *tab;
	uint64_t s, e;

	cr_assert_eq(elf_image__from_memory(b, len, &img), 0);
	tab = elf_image__section(img, ".gopclntab", &tlen, NULL);
	cr_assert_eq(go_pclntab__find(tab, tlen, 0, "crypto/tls.(*Conn).Read", &s, &e), 0);
	cr_assert_gt(e, s);
	for (size_t cut = 0; cut < tlen; cut += 1 + cut / 3) {
		/* a copy so that the sanitizer sees reads past the cut */
		uint8_t *c = malloc(cut ? cut : 1);

		memcpy(c, tab, cut);
		go_pclntab__find(c, cut, 0, "crypto/tls.(*Conn).Read", &s, &e);
		free(c);
	}
	cr_assert_eq(go_pclntab__find(tab, tlen, 0, "no.such.func", &s, &e), -ENOENT);
	elf_image__close(img);
	free(b);
}

/* 0xC3 inside an immediate is not a RET. */
Test(tls_locate, x86_rets_decode_instruction_boundaries)
{
	/* mov eax, 0xc3 ; lea rax, [rip+0xc3c3] ; ret ; int3 */
	static const uint8_t code[] = { 0xb8, 0xc3, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x05, 0xc3,
					0xc3, 0x00, 0x00, 0xc3, 0xcc };
	uint64_t rets[4];

	cr_assert_eq(x86_rets__find(code, sizeof(code), 0x1000, rets, 4), 1);
	cr_assert_eq(rets[0], 0x1000 + 12);
	cr_assert_eq(x86_rets__find(code, 3, 0x1000, rets, 4), -EILSEQ);
}

Test(tls_locate, openssl_symbols_in_libssl_and_node)
{
	static const char *const files[] = {
		"/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/bin/node",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		static struct tls_plan p;

		if (access(files[i], R_OK))
			continue; /* not on this machine */
		/* libssl's SSL_read/SSL_write are wrappers: the _ex programs go
		 * on the internal functions they call (tls_wrapper.h), 6 probes;
		 * node's are inlined, each public function is probed, 10 */
		cr_assert_eq(tls_lib__plan(files[i], &p), i ? 10 : 6, "%s: %s", files[i], p.note);
		cr_assert_eq(p.lib, TLS_LIB_OPENSSL);
		cr_assert_eq(count_prog(&p, TLS_PROG_SSL_READ_RET), i ? 1 : 0);
		cr_assert_eq(count_prog(&p, TLS_PROG_SSL_READ_EX_RET), 1);
		/* symbols found: not also reported as a stripped static copy */
		cr_assert_eq(p.detected, 1u << TLS_LIB_OPENSSL, "%s", files[i]);
	}
}

Test(tls_locate, plain_binary_has_no_tls)
{
	static struct tls_plan p;

	cr_assert_eq(tls_lib__plan("/bin/sh", &p), 0);
	cr_assert_eq(p.lib, TLS_LIB_NONE);
	cr_assert_eq(p.detected, 0);
	cr_assert_eq(tls_lib__plan("/etc/hostname", &p), -ENOENT);
}

/* agentrace quotes every detector's strings; it is not a TLS library. */
Test(tls_locate, agentrace_itself_is_no_tls_library)
{
	static struct tls_plan p;

	cr_assert_eq(tls_lib__plan("build/agentrace", &p), 0);
	cr_assert_eq(p.detected, 0, "detected 0x%x", p.detected);
	cr_assert_eq(p.lib, TLS_LIB_NONE);
	cr_assert_eq(p.n, 0);
}

/* The agents' own binaries (tests/agents, installed by make test). */
#define AGENTS "tests/agents/node_modules/"
#define CODEX AGENTS "@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"
#define CLAUDE AGENTS "@anthropic-ai/claude-code/bin/claude.exe"
/* rustls's: EVP_AEAD_CTX_seal, open (entry and return), init_with_direction
 * and init */
#define CODEX_AEAD_PROBES 5

/* A private, writable copy-on-write mapping: corrupting it costs pages,
 * not a copy of a 300 MB binary. */
static uint8_t *map_private(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	void *p;

	cr_assert_geq(fd, 0, "%s missing (make tests/agents/node_modules/.stamp)", path);
	cr_assert_eq(fstat(fd, &st), 0);
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	cr_assert_neq(p, MAP_FAILED);
	*len = st.st_size;
	return p;
}

Test(tls_locate, codex_static_openssl_by_func_strings)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len);
	static struct tls_plan p;

	cr_assert_eq(plan_memory(b, len, &p), 4 + CODEX_AEAD_PROBES, "%s", p.note);
	cr_assert_eq(p.lib, TLS_LIB_OPENSSL_STATIC);
	cr_assert(p.detected & (1u << TLS_LIB_RUSTLS), "rustls beside it is detected");
	cr_assert_eq(tls_plan__located(&p), (1u << TLS_LIB_OPENSSL_STATIC) | (1u << TLS_LIB_RUSTLS));
	cr_assert(!strncmp(p.versions[TLS_LIB_OPENSSL_STATIC], "3.", 2));
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_READ_EX), 1);
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_WRITE_INTERNAL), 1, "OpenSSL >= 3.3 signature");
	cr_assert_eq(first_off(&p, TLS_PROG_SSL_READ_EX), first_off(&p, TLS_PROG_SSL_READ_EX_RET));
	cr_assert_neq(first_off(&p, TLS_PROG_SSL_READ_EX),
		      first_off(&p, TLS_PROG_SSL_WRITE_INTERNAL));
	munmap(b, len);
}

Test(tls_locate, codex_corrupt_prologue_is_refused)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len);
	static struct tls_plan p;
	uint64_t off;

	cr_assert_eq(plan_memory(b, len, &p), 4 + CODEX_AEAD_PROBES, "%s", p.note);
	off = first_off(&p, TLS_PROG_SSL_WRITE_INTERNAL);
	/* the probe sits past the function's endbr64 (tls_probe__skip_endbr64) */
	cr_assert_eq(memcmp(b + off - 4, "\xf3\x0f\x1e\xfa", 4), 0);
	memset(b + off - 4, 0x00, 4); /* not a function start any more */
	/* OpenSSL gets no probe; rustls's beside it are kept */
	cr_assert_eq(plan_memory(b, len, &p), CODEX_AEAD_PROBES);
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_WRITE_INTERNAL) + count_prog(&p, TLS_PROG_SSL_READ_EX),
		     0);
	cr_assert_eq(tls_plan__located(&p), 1u << TLS_LIB_RUSTLS);
	cr_assert(strstr(p.note, "prologue"), "%s", p.note);
	munmap(b, len);
}

/* No planned probe sits on an endbr64 followed by a push: it moved onto
 * the push, where the kernel need not single-step; with the move undone
 * by a breakage, this fails. */
Test(tls_locate, codex_probes_skip_a_leading_endbr64)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len);
	static struct tls_plan p;
	size_t moved = 0;

	cr_assert_eq(plan_memory(b, len, &p), 4 + CODEX_AEAD_PROBES, "%s", p.note);
	for (size_t i = 0; i < p.n; i++) {
		const uint8_t *at = b + p.probes[i].off;

		cr_assert_neq(memcmp(at, "\xf3\x0f\x1e\xfa", 4), 0, "probe %zu on endbr64", i);
		if (!memcmp(at - 4, "\xf3\x0f\x1e\xfa", 4)) {
			moved++;
			cr_assert(at[0] >= 0x50 && at[0] <= 0x57 ? 1 :
				  at[0] == 0x41 && at[1] >= 0x50 && at[1] <= 0x57,
				  "probe %zu moved onto a non-push", i);
		}
	}
	cr_assert_eq(moved, 4, "the OpenSSL entries and returns start with endbr64");
	munmap(b, len);
}

Test(tls_locate, codex_missing_func_string_is_refused)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len), *hit;
	static struct tls_plan p;

	/* rename every "\0ssl_read_internal\0" so no reference can be found */
	for (uint8_t *at = b; (hit = memmem(at, b + len - at, "\0ssl_read_internal\0", 19));
	     at = hit + 1)
		hit[1] = 'X';
	cr_assert_eq(plan_memory(b, len, &p), CODEX_AEAD_PROBES);
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_READ_EX), 0);
	cr_assert(strstr(p.note, "ssl_read_internal"), "%s", p.note);
	munmap(b, len);
}

struct early_seen {
	int calls;
	struct tls_plan plan;
};

static void on_early(void *ctx, const struct tls_plan *plan)
{
	struct early_seen *e = ctx;

	e->calls++;
	e->plan = *plan;
}

/* Both of Codex's libraries come out of one pass over its .text, with the
 * same verdicts as each library located with a pass of its own; and
 * OpenSSL's plan is handed out before rustls is located, as a prefix of
 * the final plan. */
Test(tls_locate, codex_both_libraries_from_one_text_pass)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len);
	static struct tls_plan p, own;
	static struct early_seen e;
	struct elf_image *img;
	char times[320];
	size_t n = 0;

	cr_assert_eq(elf_image__from_memory(b, len, &img), 0);
	cr_assert_eq(tls_lib__plan_staged(img, &p, on_early, &e, times, sizeof(times)),
		     4 + CODEX_AEAD_PROBES, "%s", p.note);
	cr_assert(strstr(times, "; 1 pass(es) over .text"), "%s", times);
	cr_assert_eq(e.calls, 1);
	cr_assert_eq(e.plan.n, 4);
	cr_assert_eq(e.plan.lib, TLS_LIB_OPENSSL_STATIC);
	cr_assert_eq(memcmp(e.plan.probes, p.probes, 4 * sizeof(p.probes[0])), 0);
	for (size_t i = 0; i < tls_n_libs; i++) {
		const struct tls_lib_desc *d = &tls_libs[i];
		struct text_refs *refs;

		if (d->id != TLS_LIB_OPENSSL_STATIC && d->id != TLS_LIB_RUSTLS)
			continue;
		refs = text_refs__new(img);
		d->want(img, refs);
		memset(&own, 0, sizeof(own));
		cr_assert_gt(d->locate(img, refs, &own), 0, "%s: %s", d->name, own.note);
		cr_assert_eq(text_refs__passes(refs), 1);
		for (size_t k = 0; k < own.n; k++)
			tls_probe__skip_endbr64(img, &own.probes[k]);
		cr_assert_eq(memcmp(own.probes, p.probes + n, own.n * sizeof(own.probes[0])), 0,
			     "%s", d->name);
		n += own.n;
		text_refs__free(refs);
	}
	cr_assert_eq(n, p.n);
	elf_image__close(img);
	munmap(b, len);
}

/* Codex's rustls (aws-lc-rs 1.18.1): the aws-lc AEAD functions, told apart
 * by their aead.c error reasons, at the file offsets where probes placed
 * by hand fired during a live rustls tool turn (seal once per record
 * written, open once per record read, init_with_direction per key). */
#define CODEX_SEAL 0x1125ead0
#define CODEX_OPEN 0x1125ed10
#define CODEX_INIT_DIR 0x1125ea10
#define CODEX_INIT 0x1125e950

static void plan_codex(uint8_t *b, size_t len, struct tls_plan *p)
{
	cr_assert_eq(plan_memory(b, len, p), 4 + CODEX_AEAD_PROBES, "%s", p->note);
}

Test(tls_locate, codex_rustls_awslc_aead_by_error_reasons)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len);
	static struct tls_plan p;
	uint64_t inits[2] = { 0 };
	int k = 0;

	plan_codex(b, len, &p);
	cr_assert_eq(count_prog(&p, TLS_PROG_AEAD_SEAL), 1);
	cr_assert_eq(first_off(&p, TLS_PROG_AEAD_SEAL), CODEX_SEAL);
	cr_assert_eq(first_off(&p, TLS_PROG_AEAD_OPEN), CODEX_OPEN);
	cr_assert_eq(first_off(&p, TLS_PROG_AEAD_OPEN_RET), CODEX_OPEN);
	for (size_t i = 0; i < p.n; i++)
		if (p.probes[i].prog == TLS_PROG_AEAD_INIT)
			inits[k++ & 1] = p.probes[i].off;
	cr_assert_eq(k, 2);
	cr_assert_eq(inits[0], CODEX_INIT_DIR);
	cr_assert_eq(inits[1], CODEX_INIT);
	cr_assert_eq(memcmp(b + CODEX_SEAL, "\x55\x48\x89\xe5", 4), 0);
	cr_assert_eq(memcmp(b + CODEX_OPEN, "\x55\x48\x89\xe5", 4), 0);
	munmap(b, len);
}

/* One of seal's reasons changed (TOO_LARGE 117 -> 118): seal is no longer
 * identified, and rustls gets no probe at all (OpenSSL's stay); the note
 * says why. */
Test(tls_locate, codex_rustls_changed_seal_reason_is_refused)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len), *hit;
	static struct tls_plan p;

	hit = memmem(b + CODEX_SEAL, 0x100, "\xba\x75\x00\x00\x00", 5); /* mov edx, 117 */
	cr_assert_not_null(hit);
	hit[1] = 0x76;
	cr_assert_eq(plan_memory(b, len, &p), 4, "%s", p.note);
	cr_assert_eq(tls_plan__located(&p), 1u << TLS_LIB_OPENSSL_STATIC);
	cr_assert(strstr(p.note, "EVP_AEAD_CTX_seal not identified"), "%s", p.note);
	munmap(b, len);
}

/* open no longer opens a frame: it is not a function start, and nothing
 * else may be taken for it. */
Test(tls_locate, codex_rustls_corrupt_open_prologue_is_refused)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len);
	static struct tls_plan p;

	memset(b + CODEX_OPEN, 0x90, 4);
	cr_assert_eq(plan_memory(b, len, &p), 4, "%s", p.note);
	cr_assert_eq(count_prog(&p, TLS_PROG_AEAD_OPEN) + count_prog(&p, TLS_PROG_AEAD_SEAL), 0);
	cr_assert(strstr(p.note, "EVP_AEAD_CTX_open"), "%s", p.note);
	munmap(b, len);
}

/* aws-lc's aead.c path renamed: no function can be found by it. */
Test(tls_locate, codex_rustls_no_aead_string_is_refused)
{
	size_t len;
	uint8_t *b = map_private(CODEX, &len), *hit;
	static struct tls_plan p;

	hit = memmem(b, len, "/crypto/fipsmodule/cipher/aead.c", 32);
	cr_assert_not_null(hit);
	hit[1] = 'X';
	cr_assert_eq(plan_memory(b, len, &p), 4, "%s", p.note);
	cr_assert(strstr(p.note, "aead.c"), "%s", p.note);
	munmap(b, len);
}

Test(tls_locate, claude_code_boringssl_by_error_reasons)
{
	size_t len;
	uint8_t *b = map_private(CLAUDE, &len);
	static struct tls_plan p;

	cr_assert_eq(plan_memory(b, len, &p), 5, "%s", p.note);
	cr_assert_eq(p.lib, TLS_LIB_BORINGSSL);
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_WRITE), 1);
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_READ), 1);
	/* SSL_shutdown ends the stream: its own two reasons and ssl_read_impl */
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_SHUTDOWN), 1);
	cr_assert_eq(memcmp(b + first_off(&p, TLS_PROG_SSL_SHUTDOWN), "\x55\x48\x89\xe5", 4), 0);
	cr_assert_neq(first_off(&p, TLS_PROG_SSL_SHUTDOWN), first_off(&p, TLS_PROG_SSL_READ));
	cr_assert_eq(first_off(&p, TLS_PROG_SSL_WRITE), first_off(&p, TLS_PROG_SSL_WRITE_RET));
	cr_assert_eq(first_off(&p, TLS_PROG_SSL_READ), first_off(&p, TLS_PROG_SSL_READ_RET));
	cr_assert_neq(first_off(&p, TLS_PROG_SSL_READ), first_off(&p, TLS_PROG_SSL_WRITE));
	/* both are frame-opening function starts */
	cr_assert_eq(memcmp(b + first_off(&p, TLS_PROG_SSL_WRITE), "\x55\x48\x89\xe5", 4), 0);
	cr_assert_eq(memcmp(b + first_off(&p, TLS_PROG_SSL_READ), "\x55\x48\x89\xe5", 4), 0);
	munmap(b, len);
}

/* SSL_write no longer opens a frame: neither it nor anything else may be
 * taken for it. */
Test(tls_locate, claude_code_corrupt_prologue_is_refused)
{
	size_t len;
	uint8_t *b = map_private(CLAUDE, &len);
	static struct tls_plan p;

	cr_assert_eq(plan_memory(b, len, &p), 5, "%s", p.note);
	memset(b + first_off(&p, TLS_PROG_SSL_WRITE), 0x90, 4);
	cr_assert_eq(plan_memory(b, len, &p), 0);
	cr_assert_eq(p.lib, TLS_LIB_BORINGSSL);
	cr_assert(strstr(p.note, "SSL_write"), "%s", p.note);
	munmap(b, len);
}

/* One of SSL_write's reasons changed (BAD_LENGTH -> 112): its set no
 * longer matches, and no other function is taken instead. */
Test(tls_locate, claude_code_changed_reason_is_refused)
{
	size_t len;
	uint8_t *b = map_private(CLAUDE, &len), *fn, *hit;
	static struct tls_plan p;

	cr_assert_eq(plan_memory(b, len, &p), 5, "%s", p.note);
	fn = b + first_off(&p, TLS_PROG_SSL_WRITE);
	hit = memmem(fn, 0x400, "\xba\x6f\x00\x00\x00", 5); /* mov edx, SSL_R_BAD_LENGTH */
	cr_assert_not_null(hit);
	hit[1] = 0x70;
	cr_assert_eq(plan_memory(b, len, &p), 0);
	cr_assert(strstr(p.note, "SSL_write not identified"), "%s", p.note);
	munmap(b, len);
}

/* SSL_shutdown's APPLICATION_DATA_ON_SHUTDOWN changed (291 -> 292): it is
 * no longer identified and gets no probe; SSL_write and SSL_read are still
 * traced (the stream then ends at the LRU, as before). */
Test(tls_locate, claude_code_unidentified_shutdown_is_left_out)
{
	size_t len;
	uint8_t *b = map_private(CLAUDE, &len), *fn, *hit;
	static struct tls_plan p;

	cr_assert_eq(plan_memory(b, len, &p), 5, "%s", p.note);
	fn = b + first_off(&p, TLS_PROG_SSL_SHUTDOWN);
	hit = memmem(fn, 0x400, "\xba\x23\x01\x00\x00", 5); /* mov edx, 291 */
	cr_assert_not_null(hit);
	hit[1] = 0x24;
	cr_assert_eq(plan_memory(b, len, &p), 4, "%s", p.note);
	cr_assert_eq(count_prog(&p, TLS_PROG_SSL_SHUTDOWN), 0);
	munmap(b, len);
}

/* The entry probe must sit after a stack check that is there: a prologue
 * whose jbe is gone (a function other than we think) gets no probes. */
Test(tls_locate, go_prologue_without_its_jump_is_refused)
{
	size_t len;
	uint8_t *b = slurp_file(GO_SYMS, &len);
	static struct tls_plan p;
	uint64_t off;

	cr_assert_gt(plan_memory(b, len, &p), 0);
	off = first_off(&p, TLS_PROG_GO_READ);
	if (b[off] == 0x76)
		b[off] = 0x74; /* je: no longer the bound check's jbe */
	else
		b[off + 1] = 0x84; /* the long form's je */
	cr_assert_eq(plan_memory(b, len, &p), 0);
	cr_assert(strstr(p.note, "stack-check jump"), "%s", p.note);
	free(b);
}
