// SPDX-License-Identifier: MIT
/*
 * Functions of a stripped C library that report errors from one source
 * file. BoringSSL and aws-lc keep no function names, but OPENSSL_PUT_ERROR
 * calls ERR_put_error(lib, 0, reason, __FILE__, __LINE__), so the code
 * that passes the file's path string lies inside a function of that file,
 * and each function reports its own set of reasons: a fingerprint that
 * survives stripping (reason codes are the library's ABI; line numbers,
 * which change between revisions, are not used).
 *
 * A function start is a 16-byte aligned address right after int3 padding
 * that opens a frame (`push rbp; mov rbp, rsp`, optionally after endbr64);
 * the body is decoded with capstone from there to the next int3, and every
 * reference must sit on an instruction boundary inside it, with edi = lib,
 * the reason in edx and the line in r8d.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover/elf_image.h"
#include "discover/err_refs.h"
#include "discover/text_refs.h"
#include "discover/x86_decode.h"
#include "discover/x86_refs.h"

#define MAX_REFS TEXT_REFS_MAX
#define MAX_FUNCS 128
#define MAX_FN_BYTES (16 * 1024) /* SSL_write is ~0x1b0 bytes, EVP_AEAD_CTX_open ~0x1c0 */
#define MAX_INSNS 4096
#define MAX_ERRS 24
#define MAX_CALLS 64

struct err_fn {
	uint64_t start, end;           /* [start, first int3) */
	uint16_t reasons[MAX_ERRS];    /* sorted reasons reported from the file */
	size_t n_reasons;
	uint64_t calls[MAX_CALLS];     /* direct call targets */
	size_t n_calls;
	bool bad;                      /* a reference off an instruction boundary */
};

struct err_refs {
	const uint8_t *text;
	uint64_t text_addr;
	size_t text_len;
	uint64_t file_str;             /* address of the __FILE__ string */
	int err_lib;                   /* ERR_LIB_* the functions report as */
	size_t n_refs;                 /* references to file_str */
	const uint8_t *got;            /* .got (call targets of PIC), or NULL */
	uint64_t got_addr;
	size_t got_len;
	struct err_fn fns[MAX_FUNCS];
	size_t n_fns;
	uint64_t ins[MAX_INSNS];       /* scratch: instruction starts of one body */
};

/* Address of the whole __FILE__ string ending in tail, or 0. */
static uint64_t file_string(const struct elf_image *img, const char *tail)
{
	const uint8_t *hit = elf_image__find_data(img, tail, strlen(tail) + 1, NULL);
	uint64_t at;

	if (!hit)
		return 0;
	at = elf_image__addr_of(img, hit);
	/* Walk back to the previous NUL: "../../vendor/boringssl/ssl/...", "/aws-lc/crypto/..." */
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
static uint64_t func_start(const struct err_refs *s, uint64_t ref)
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
static bool loads_file(const struct err_refs *s, uint64_t at, size_t size)
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
 * ERR_put_error(s->err_lib, 0, reason, file, line). */
static int put_error_reason(const struct err_refs *s, size_t k, size_t n, uint64_t end)
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
	if (lib != s->err_lib || reason <= 0 || reason > 0xfff || line <= 0)
		return -1;
	return reason;
}

static int cmp_u16(const void *a, const void *b)
{
	return *(const uint16_t *)a - *(const uint16_t *)b;
}

struct fn_walk {
	struct err_refs *s;
	struct err_fn *fn;
	size_t n; /* instructions recorded in s->ins */
};

/* One instruction of the function: int3 ends it. */
static int on_insn(void *ctx, const cs_insn *insn)
{
	struct fn_walk *w = ctx;
	struct err_fn *fn = w->fn;

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
static int decode_fn(struct err_refs *s, uint64_t start, struct err_fn *fn)
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
static int scan_refs(struct err_refs *s, const uint64_t *refs, size_t n_refs)
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

static bool reasons_are(const struct err_fn *fn, const uint16_t *want, size_t n)
{
	return !fn->bad && fn->n_reasons == n && !memcmp(fn->reasons, want, n * sizeof(*want));
}

uint64_t err_refs__match_one(const struct err_refs *s, const uint16_t *want, size_t n,
			  const uint16_t *callee_want, size_t n_callee)
{
	uint64_t found = 0;

	for (size_t i = 0; i < s->n_fns; i++) {
		const struct err_fn *fn = &s->fns[i];
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

/* Whether a .got slot holds fn: position-independent Rust calls C
 * through the GOT (`call [rip+slot]`, -Z plt=no) where the linker did not
 * relax the call into a direct one. */
static bool in_got(const struct err_refs *s, uint64_t fn)
{
	for (size_t o = 0; s->got && o + 8 <= s->got_len; o += 8) {
		uint64_t v;

		memcpy(&v, s->got + o, 8);
		if (v == fn)
			return true;
	}
	return false;
}

void err_refs__called(const struct err_refs *s, uint64_t a, uint64_t b, bool *ca, bool *cb)
{
	const uint8_t *p = s->text, *end = s->text + s->text_len;

	*ca = in_got(s, a);
	*cb = in_got(s, b);
	while (!(*ca && *cb) && end - p >= 5 && (p = memchr(p, 0xe8, end - p - 4))) {
		uint64_t t = s->text_addr + (p - s->text) + 5 + (int32_t)imm32(p + 1);

		*ca |= t == a;
		*cb |= t == b;
		p++;
	}
}

void err_refs__want(const struct elf_image *img, struct text_refs *refs, const char *file_tail)
{
	uint64_t at = file_string(img, file_tail);

	if (at)
		text_refs__want(refs, at);
}

int err_refs__scan(const struct elf_image *img, struct text_refs *tr, const char *file_tail,
		   int err_lib, struct err_refs **out)
{
	struct err_refs *s = calloc(1, sizeof(*s));
	uint64_t *refs = calloc(MAX_REFS, sizeof(*refs));
	const uint64_t *lea;
	size_t n;
	int err = 0;

	*out = NULL;
	if (!s || !refs) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->err_lib = err_lib;
	s->file_str = file_string(img, file_tail);
	s->text = elf_image__section(img, ".text", &s->text_len, &s->text_addr);
	s->got = elf_image__section(img, ".got", &s->got_len, &s->got_addr);
	if (!s->file_str || !s->text) {
		err = -ENOENT;
		goto cleanup;
	}
	/* position-independent code loads it with lea (found in the pass
	 * shared with the file's other libraries); only a non-PIE executable
	 * (Bun) with mov imm32 */
	err = text_refs__lea(tr, s->file_str, &lea, &n);
	if (err)
		goto cleanup;
	memcpy(refs, lea, (n < MAX_REFS ? n : MAX_REFS) * sizeof(*refs));
	if (n == 0)
		n = x86_refs__mov_imm(s->text, s->text_len, s->text_addr, s->file_str, refs,
				      MAX_REFS);
	s->n_refs = n;
	if (n == 0 || n > MAX_REFS) {
		err = -E2BIG;
		goto cleanup;
	}
	err = scan_refs(s, refs, n);
cleanup:
	free(refs);
	if (err && err != -E2BIG) {
		free(s);
		return err;
	}
	*out = s;
	return err;
}

int err_refs__scan_or_note(const struct elf_image *img, struct text_refs *tr,
			   const char *file_tail, int err_lib, const char *what, char *note,
			   size_t len, struct err_refs **out)
{
	int err = err_refs__scan(img, tr, file_tail, err_lib, out);

	if (err == -ENOENT)
		snprintf(note, len, "no %s string or no .text", what);
	else if (err == -E2BIG)
		snprintf(note, len, "%s referenced %zu times", what, err_refs__n_refs(*out));
	if (err == -ENOENT || err == -E2BIG) {
		err_refs__free(*out);
		*out = NULL;
		return 1;
	}
	return err;
}

size_t err_refs__n_refs(const struct err_refs *s)
{
	return s->n_refs;
}

size_t err_refs__n_fns(const struct err_refs *s)
{
	return s->n_fns;
}

void err_refs__free(struct err_refs *s)
{
	free(s);
}
