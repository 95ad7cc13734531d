// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "discover/elf_image.h"
#include "discover/text_refs.h"
#include "discover/tls_lib.h"

const struct tls_prog_desc tls_progs[TLS_PROG_MAX] = {
	[TLS_PROG_SSL_WRITE] = { "ssl_write_enter", "SSL_write", false },
	[TLS_PROG_SSL_WRITE_RET] = { "ssl_write_exit", "SSL_write", true },
	[TLS_PROG_SSL_WRITE_EX] = { "ssl_write_ex_enter", "SSL_write_ex", false },
	[TLS_PROG_SSL_WRITE_EX_RET] = { "ssl_write_ex_exit", "SSL_write_ex", true },
	[TLS_PROG_SSL_READ] = { "ssl_read_enter", "SSL_read", false },
	[TLS_PROG_SSL_READ_RET] = { "ssl_read_exit", "SSL_read", true },
	[TLS_PROG_SSL_READ_EX] = { "ssl_read_ex_enter", "SSL_read_ex", false },
	[TLS_PROG_SSL_READ_EX_RET] = { "ssl_read_ex_exit", "SSL_read_ex", true },
	[TLS_PROG_SSL_SHUTDOWN] = { "ssl_shutdown_enter", "SSL_shutdown", false },
	[TLS_PROG_SSL_FREE] = { "ssl_free_enter", "SSL_free", false },
	[TLS_PROG_GO_WRITE] = { "go_tls_write_enter", "crypto/tls.(*Conn).Write", false },
	[TLS_PROG_GO_WRITE_RET] = { "go_tls_write_ret", "crypto/tls.(*Conn).Write RET", false },
	[TLS_PROG_GO_READ] = { "go_tls_read_enter", "crypto/tls.(*Conn).Read", false },
	[TLS_PROG_GO_READ_RET] = { "go_tls_read_ret", "crypto/tls.(*Conn).Read RET", false },
	[TLS_PROG_GO_CLOSE] = { "go_tls_close_enter", "crypto/tls.(*Conn).Close", false },
	[TLS_PROG_SSL_WRITE_INTERNAL] = { "ssl_write_internal_enter", "ssl_write_internal", false },
	[TLS_PROG_AEAD_INIT] = { "aead_init_enter", "EVP_AEAD_CTX_init", false },
	[TLS_PROG_AEAD_SEAL] = { "aead_seal_enter", "EVP_AEAD_CTX_seal", false },
	[TLS_PROG_AEAD_OPEN] = { "aead_open_enter", "EVP_AEAD_CTX_open", false },
	[TLS_PROG_AEAD_OPEN_RET] = { "aead_open_exit", "EVP_AEAD_CTX_open", true },
};

/* Order matters: symbols beat strings (node exports OpenSSL's symbols and
 * also carries its version string), and BoringSSL's version text starts
 * "OpenSSL 1.1.1 (compatible; BoringSSL)", so it is tried before
 * stripped OpenSSL. */
const struct tls_lib_desc tls_libs[] = {
	{ TLS_LIB_OPENSSL, "OpenSSL", tls_openssl__detect, NULL, tls_openssl__locate },
	{ TLS_LIB_AEAD, "aws-lc/BoringSSL AEAD API", tls_awslc__detect_exported, NULL,
	  tls_awslc__locate_exported },
	{ TLS_LIB_GO, "Go crypto/tls", tls_go__detect, NULL, tls_go__locate },
	{ TLS_LIB_BORINGSSL, "BoringSSL", tls_static__detect_boringssl, tls_boringssl__want,
	  tls_boringssl__locate },
	{ TLS_LIB_OPENSSL_STATIC, "OpenSSL (static, stripped)", tls_static__detect_openssl,
	  tls_static__want_openssl, tls_static__locate_openssl },
	{ TLS_LIB_RUSTLS, "rustls", tls_static__detect_rustls, tls_awslc__want, tls_awslc__locate },
};
const size_t tls_n_libs = sizeof(tls_libs) / sizeof(tls_libs[0]);

const char *tls_lib__name(enum tls_lib_id id)
{
	for (size_t i = 0; i < tls_n_libs; i++)
		if (tls_libs[i].id == id)
			return tls_libs[i].name;
	return "none";
}

uint32_t tls_plan__located(const struct tls_plan *plan)
{
	uint32_t libs = plan->n ? 1u << plan->lib : 0;

	for (size_t i = 0; i < plan->n && plan->lib != TLS_LIB_AEAD; i++)
		if (plan->probes[i].prog == TLS_PROG_AEAD_SEAL)
			libs |= 1u << TLS_LIB_RUSTLS;
	return libs;
}

bool tls_plan__add(struct tls_plan *plan, enum tls_prog prog, uint64_t off)
{
	if (plan->n == TLS_PLAN_MAX || !off)
		return false;
	plan->probes[plan->n].prog = prog;
	plan->probes[plan->n].inner = 0;
	plan->probes[plan->n].off = off;
	plan->n++;
	return true;
}

static double ms_since(struct timespec *t0)
{
	struct timespec t1;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
	*t0 = t1;
	return ms;
}

/* Whether a library after i is detected and would be located (the
 * first located library's plan can then go out early). */
static bool more_to_locate(const struct tls_plan *plan, size_t i)
{
	for (size_t j = i + 1; j < tls_n_libs; j++)
		if ((plan->detected & (1u << tls_libs[j].id)) &&
		    (!plan->n || tls_libs[j].id == TLS_LIB_RUSTLS))
			return true;
	return false;
}

/* Why (tls_lib.h): 9965 ns a call with entry and return probes on an
 * endbr64 here, against 1135 ns on the push after it (bench probe_points). */
void tls_probe__skip_endbr64(const struct elf_image *img, struct tls_probe *pr)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	const uint8_t *b = elf_image__file_bytes(img, pr->off, sizeof(endbr64) + 2);

	if (!b || memcmp(b, endbr64, sizeof(endbr64)))
		return;
	b += sizeof(endbr64);
	if ((b[0] >= 0x50 && b[0] <= 0x57) || (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57))
		pr->off += sizeof(endbr64);
}

/* One library's locate: its probes join plan, or its note explains. */
static int locate_one(const struct elf_image *img, struct text_refs *refs,
		      const struct tls_lib_desc *d, struct tls_plan *plan)
{
	struct tls_plan try;
	int n;

	memset(&try, 0, sizeof(try));
	n = d->locate(img, refs, &try);
	for (size_t i = 0; n > 0 && i < try.n; i++)
		tls_probe__skip_endbr64(img, &try.probes[i]);
	if (n > 0 && plan->n + try.n <= TLS_PLAN_MAX) {
		memcpy(plan->probes + plan->n, try.probes, try.n * sizeof(try.probes[0]));
		if (!plan->n)
			plan->lib = d->id; /* the note still says why another was not */
		plan->n += try.n;
		return n;
	}
	/* The first library found explains an empty plan. */
	if (plan->lib == TLS_LIB_NONE)
		plan->lib = d->id;
	if (!plan->note[0])
		snprintf(plan->note, sizeof(plan->note), "%s",
			 try.note[0] ? try.note : n < 0 ? "error reading the file" :
			 "plaintext functions not located");
	return 0;
}

/* agentrace's own binaries (the daemon, its tests) quote the strings the
 * detectors look for ("(compatible; BoringSSL)", "/rustls-", ...) and
 * would report themselves as TLS libraries whose functions cannot be
 * found. This section marks them; pid alone excludes only this daemon. */
#define SELF_SECTION ".agentrace.self"
__attribute__((section(SELF_SECTION), used)) static const char self_mark[] = "agentrace";

int tls_lib__plan_staged(const struct elf_image *img, struct tls_plan *plan,
			 tls_plan_early_fn early, void *ctx, char *times, size_t tlen)
{
	struct text_refs *refs;
	struct timespec t0;
	size_t o = 0, n;

	memset(plan, 0, sizeof(*plan));
	if (elf_image__section(img, SELF_SECTION, &n, NULL))
		return 0; /* TLS_LIB_NONE, nothing detected */
	refs = text_refs__new(img);
	if (!refs)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* every library's evidence first, so that all their strings'
	 * references come out of one pass over .text */
	for (size_t i = 0; i < tls_n_libs; i++) {
		const struct tls_lib_desc *d = &tls_libs[i];

		if (!d->detect(img, plan->versions[d->id], sizeof(plan->versions[0])))
			continue;
		plan->detected |= 1u << d->id;
		if (d->want)
			d->want(img, refs);
	}
	if (times)
		o += snprintf(times + o, tlen - o, "detect %.1f ms", ms_since(&t0));
	for (size_t i = 0; i < tls_n_libs; i++) {
		const struct tls_lib_desc *d = &tls_libs[i];
		uint64_t pass_us = text_refs__pass_us(refs);

		if (!(plan->detected & (1u << d->id)))
			continue;
		if (plan->n && d->id != TLS_LIB_RUSTLS)
			continue; /* keep recording what else the file carries */
		if (locate_one(img, refs, d, plan) > 0 && early && more_to_locate(plan, i))
			early(ctx, plan);
		if (times && o < tlen)
			o += snprintf(times + o, tlen - o, ", %s %.1f ms (.text pass %.1f ms)",
				      d->name, ms_since(&t0),
				      (text_refs__pass_us(refs) - pass_us) / 1e3);
	}
	if (times && o < tlen)
		snprintf(times + o, tlen - o, "; %u pass(es) over .text", text_refs__passes(refs));
	text_refs__free(refs);
	return plan->n;
}

int tls_lib__plan_image(const struct elf_image *img, struct tls_plan *plan)
{
	return tls_lib__plan_staged(img, plan, NULL, NULL, NULL, 0);
}

int tls_lib__plan_early(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
			void *ctx)
{
	struct elf_image *img;
	struct timespec t0, t;
	char times[320];
	double open_ms;
	int err;

	memset(plan, 0, sizeof(*plan));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t = t0;
	err = elf_image__open(path, &img);
	if (err)
		return err;
	open_ms = ms_since(&t);
	err = tls_lib__plan_staged(img, plan, early, ctx, times, sizeof(times));
	elf_image__close(img);
	if (plan->detected)
		debug("locating the TLS functions of %s took %.1f ms: ELF open %.1f ms, %s", path,
		      ms_since(&t0), open_ms, times);
	return err;
}

int tls_lib__plan(const char *path, struct tls_plan *plan)
{
	return tls_lib__plan_early(path, plan, NULL, NULL);
}

void tls_plan__describe(const struct tls_plan *plan, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < tls_n_libs && o < len; i++) {
		enum tls_lib_id id = tls_libs[i].id;

		if (!(plan->detected & (1u << id)))
			continue;
		o += snprintf(buf + o, len - o, "%s%s%s%s", o ? " + " : "", tls_libs[i].name,
			      plan->versions[id][0] ? " " : "", plan->versions[id]);
	}
	if (!o)
		snprintf(buf, len, "none");
}
