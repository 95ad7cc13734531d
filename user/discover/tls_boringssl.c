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
 * A function start is a 16-byte aligned address right after int3 padding
 * that opens a frame (`push rbp; mov rbp, rsp`, optionally after endbr64);
 * the body is decoded with capstone from there to the next int3, and every
 * reference must sit on an instruction boundary inside it. The start must
 * also be the target of a direct call somewhere in .text. Exactly one
 * function may match each description; anything else and the binary is
 * left alone (reported, not traced).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover/elf_image.h"
#include "discover/tls_lib.h"
#include "discover/x86_decode.h"
#include "discover/x86_refs.h"

#define MAX_REFS 512
#define MAX_FUNCS 128
#define MAX_FN_BYTES (16 * 1024) /* SSL_write is ~0x1b0 bytes */
#define MAX_INSNS 4096
#define MAX_ERRS 24
#define MAX_CALLS 64

/* Error codes are BoringSSL's ABI (include/openssl/err.h, ssl.h). */
#define ERR_LIB_SSL 16
#define R_SHOULD_NOT_HAVE_BEEN_CALLED 66
#define R_BAD_LENGTH 111
#define R_SSL_HANDSHAKE_FAILURE 215
#define R_UNINITIALIZED 226
#define R_APPLICATION_DATA_ON_SHUTDOWN 291

struct bssl_fn {
	uint64_t start, end;           /* [start, first int3) */
	uint16_t reasons[MAX_ERRS];    /* sorted ssl_lib.cc reasons reported */
	size_t n_reasons;
	uint64_t calls[MAX_CALLS];     /* direct call targets */
	size_t n_calls;
	bool bad;                      /* a reference off an instruction boundary */
};

struct bssl_scan {
	const uint8_t *text;
	uint64_t text_addr;
	size_t text_len;
	uint64_t file_str;             /* address of the __FILE__ string */
	struct bssl_fn fns[MAX_FUNCS];
	size_t n_fns;
	uint64_t ins[MAX_INSNS];       /* scratch: instruction starts of one body */
};

/* Address of the whole __FILE__ string ending in ssl/ssl_lib.cc, or 0. */
static uint64_t file_string(const struct elf_image *img)
{
	static const char tail[] = "ssl/ssl_lib.cc"; /* with its NUL */
	const uint8_t *hit = elf_image__find_data(img, tail, sizeof(tail), NULL);
	uint64_t at;

	if (!hit)
		return 0;
	at = elf_image__addr_of(img, hit);
	/* Walk back to the previous NUL: "../../vendor/boringssl/ssl/..." */
	for (size_t k = 0; k < 256; k++) {
		const uint8_t *p = hit - k - 1;

		if (elf_image__addr_of(img, p) != at - k - 1 || *p == 0)
			return at - k;
	}
	return 0;
}

static bool frame_prologue(const uint8_t *p)
{
	static const uint8_t frame[] = { 0x55, 0x48, 0x89, 0xe5 }; /* push rbp; mov rbp, rsp */

	if (!memcmp(p, "\xf3\x0f\x1e\xfa", 4))
		p += 4;
	return !memcmp(p, frame, sizeof(frame));
}

/* The start of the function holding ref: the nearest aligned frame
 * prologue after int3 padding at or before it, or 0. */
static uint64_t func_start(const struct bssl_scan *s, uint64_t ref)
{
	for (uint64_t a = ref & ~15ull; a > s->text_addr && ref - a < MAX_FN_BYTES; a -= 16) {
		size_t off = a - s->text_addr;

		if (off + 8 <= s->text_len && s->text[off - 1] == 0xcc &&
		    frame_prologue(s->text + off))
			return a;
	}
	return 0;
}

static uint32_t imm32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Loads rcx with the file string: `mov ecx, imm32` or `lea rcx, [rip+d]`. */
static bool loads_file(const struct bssl_scan *s, uint64_t at, size_t size)
{
	const uint8_t *p = s->text + (at - s->text_addr);

	if (size == 5 && p[0] == 0xb9)
		return imm32(p + 1) == s->file_str;
	if (size == 7 && p[0] == 0x48 && p[1] == 0x8d && p[2] == 0x0d)
		return at + 7 + (int32_t)imm32(p + 3) == s->file_str;
	return false;
}

static bool is_branch(const uint8_t *p)
{
	return p[0] == 0xe8 || p[0] == 0xe9 || p[0] == 0xeb || p[0] == 0xc3;
}

/* The reason of the ERR_put_error whose file argument is loaded by
 * instruction k: edi, edx and r8d are set by the neighbouring instructions
 * up to the call (or the jump to a shared call). -1 when the shape is not
 * ERR_put_error(ERR_LIB_SSL, 0, reason, file, line). */
static int put_error_reason(const struct bssl_scan *s, size_t k, size_t n, uint64_t end)
{
	int lib = -1, reason = -1, line = -1;
	size_t lo = k > 6 ? k - 6 : 0, hi = k + 7 < n ? k + 7 : n;

	for (size_t j = lo; j < hi; j++) {
		const uint8_t *p = s->text + (s->ins[j] - s->text_addr);
		size_t size = (j + 1 < n ? s->ins[j + 1] : end) - s->ins[j];

		if (j < k && is_branch(p)) {
			lib = reason = line = -1; /* another block's arguments */
			continue;
		}
		if (size == 5 && p[0] == 0xbf)
			lib = imm32(p + 1);
		else if (size == 5 && p[0] == 0xba)
			reason = imm32(p + 1);
		else if (size == 6 && p[0] == 0x41 && p[1] == 0xb8)
			line = imm32(p + 2);
		if (j > k && is_branch(p))
			break;
	}
	if (lib != ERR_LIB_SSL || reason <= 0 || reason > 0xfff || line <= 0)
		return -1;
	return reason;
}

static int cmp_u16(const void *a, const void *b)
{
	return *(const uint16_t *)a - *(const uint16_t *)b;
}

struct fn_walk {
	struct bssl_scan *s;
	struct bssl_fn *fn;
	size_t n; /* instructions recorded in s->ins */
};

/* One instruction of the function: int3 ends it. */
static int on_insn(void *ctx, const cs_insn *insn)
{
	struct fn_walk *w = ctx;
	struct bssl_fn *fn = w->fn;

	if (insn->id == X86_INS_INT3) {
		fn->end = insn->address;
		return 1;
	}
	if (w->n == MAX_INSNS)
		return 1; /* no end within bounds */
	w->s->ins[w->n++] = insn->address;
	if (insn->size == 5 && insn->bytes[0] == 0xe8 && fn->n_calls < MAX_CALLS)
		fn->calls[fn->n_calls++] = insn->address + 5 + (int32_t)imm32(insn->bytes + 1);
	return 0;
}

/* Decodes the function at start and records the reasons it reports and
 * the functions it calls. Returns 0, or -EILSEQ when the body does not
 * decode (no function there), or -ENOMEM. */
static int decode_fn(struct bssl_scan *s, uint64_t start, struct bssl_fn *fn)
{
	size_t off = start - s->text_addr, left = s->text_len - off, n;
	struct fn_walk w = { .s = s, .fn = fn };
	int err;

	memset(fn, 0, sizeof(*fn));
	fn->start = start;
	if (left > MAX_FN_BYTES)
		left = MAX_FN_BYTES;
	err = x86_decode__each(s->text + off, left, start, on_insn, &w);
	if (err < 0)
		return err;
	if (!fn->end)
		return -EILSEQ; /* no end found within bounds */
	n = w.n;
	for (size_t k = 0; k < n; k++) {
		size_t size = (k + 1 < n ? s->ins[k + 1] : fn->end) - s->ins[k];
		int r;

		if (!loads_file(s, s->ins[k], size))
			continue;
		r = put_error_reason(s, k, n, fn->end);
		if (r < 0 || fn->n_reasons == MAX_ERRS) {
			fn->bad = true;
			continue;
		}
		fn->reasons[fn->n_reasons++] = r;
	}
	qsort(fn->reasons, fn->n_reasons, sizeof(fn->reasons[0]), cmp_u16);
	return 0;
}

/* Groups the references into functions. Returns 0 or -errno. */
static int scan_refs(struct bssl_scan *s, const uint64_t *refs, size_t n_refs)
{
	for (size_t i = 0; i < n_refs; i++) {
		uint64_t start = func_start(s, refs[i]);
		bool seen = false;
		int err;

		if (!start)
			continue; /* a function we cannot delimit: it matches nothing */
		for (size_t j = 0; j < s->n_fns && !seen; j++)
			seen = s->fns[j].start == start;
		if (seen || s->n_fns == MAX_FUNCS)
			continue;
		err = decode_fn(s, start, &s->fns[s->n_fns]);
		if (err == -ENOMEM)
			return err;
		if (!err && refs[i] < s->fns[s->n_fns].end)
			s->n_fns++;
	}
	return 0;
}

static bool reasons_are(const struct bssl_fn *fn, const uint16_t *want, size_t n)
{
	return !fn->bad && fn->n_reasons == n && !memcmp(fn->reasons, want, n * sizeof(*want));
}

/* The one function with exactly the reasons want (sorted) that, when
 * callee is non-zero, calls one of the functions matching callee_want.
 * 0 when none or several match. */
static uint64_t match_one(const struct bssl_scan *s, const uint16_t *want, size_t n,
			  const uint16_t *callee_want, size_t n_callee)
{
	uint64_t found = 0;

	for (size_t i = 0; i < s->n_fns; i++) {
		const struct bssl_fn *fn = &s->fns[i];
		bool ok = reasons_are(fn, want, n);

		if (ok && callee_want) {
			ok = false;
			for (size_t c = 0; c < fn->n_calls && !ok; c++)
				for (size_t j = 0; j < s->n_fns && !ok; j++)
					ok = s->fns[j].start == fn->calls[c] &&
					     reasons_are(&s->fns[j], callee_want, n_callee);
		}
		if (!ok)
			continue;
		if (found)
			return 0;
		found = fn->start;
	}
	return found;
}

/* Whether some `call rel32` in .text targets a and b. */
static void called(const struct bssl_scan *s, uint64_t a, uint64_t b, bool *ca, bool *cb)
{
	const uint8_t *p = s->text, *end = s->text + s->text_len;

	*ca = *cb = false;
	while (end - p >= 5 && (p = memchr(p, 0xe8, end - p - 4))) {
		uint64_t t = s->text_addr + (p - s->text) + 5 + (int32_t)imm32(p + 1);

		*ca |= t == a;
		*cb |= t == b;
		if (*ca && *cb)
			return;
		p++;
	}
}

int tls_boringssl__locate(const struct elf_image *img, struct tls_plan *plan)
{
	static const uint16_t write_reasons[] = { R_SHOULD_NOT_HAVE_BEEN_CALLED, R_BAD_LENGTH,
						  R_SSL_HANDSHAKE_FAILURE, R_UNINITIALIZED };
	static const uint16_t impl_reasons[] = { R_SSL_HANDSHAKE_FAILURE, R_UNINITIALIZED };
	static const uint16_t read_reasons[] = { R_SHOULD_NOT_HAVE_BEEN_CALLED };
	static const uint16_t shutdown_reasons[] = { R_UNINITIALIZED,
						     R_APPLICATION_DATA_ON_SHUTDOWN };
	struct bssl_scan *s = calloc(1, sizeof(*s));
	uint64_t *refs = calloc(MAX_REFS, sizeof(*refs)), wr, rd, sd;
	size_t n;
	bool wr_called, rd_called, sd_called = false, unused;
	int err = 0;

	if (!s || !refs) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->file_str = file_string(img);
	s->text = elf_image__section(img, ".text", &s->text_len, &s->text_addr);
	if (!s->file_str || !s->text) {
		snprintf(plan->note, sizeof(plan->note), "no ssl_lib.cc string or no .text");
		goto cleanup;
	}
	n = x86_refs__mov_imm(s->text, s->text_len, s->text_addr, s->file_str, refs, MAX_REFS);
	if (n < MAX_REFS)
		n += x86_refs__lea(s->text, s->text_len, s->text_addr, s->file_str, refs + n,
				   MAX_REFS - n);
	if (n == 0 || n > MAX_REFS) {
		snprintf(plan->note, sizeof(plan->note), "ssl_lib.cc referenced %zu times", n);
		goto cleanup;
	}
	err = scan_refs(s, refs, n);
	if (err)
		goto cleanup;
	wr = match_one(s, write_reasons, 4, NULL, 0);
	rd = match_one(s, read_reasons, 1, impl_reasons, 2);
	if (!wr || !rd) {
		snprintf(plan->note, sizeof(plan->note),
			 "%s not identified by its ssl_lib.cc error reasons (%zu references, "
			 "%zu functions)", !wr ? "SSL_write" : "SSL_read", n, s->n_fns);
		goto cleanup;
	}
	called(s, wr, rd, &wr_called, &rd_called);
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
	sd = match_one(s, shutdown_reasons, 2, impl_reasons, 2);
	if (sd)
		called(s, sd, sd, &sd_called, &unused);
	if (sd_called && plan->n == 4)
		tls_plan__add(plan, TLS_PROG_SSL_SHUTDOWN, elf_image__file_off(img, sd));
	if (plan->n != 4u + sd_called) {
		plan->n = 0;
		snprintf(plan->note, sizeof(plan->note), "functions outside the code segment");
	}
cleanup:
	free(refs);
	free(s);
	return err ? err : (int)plan->n;
}
