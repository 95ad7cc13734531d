/* SPDX-License-Identifier: MIT */
/* Functions of a stripped BoringSSL or aws-lc told apart by the error
 * reasons they report from one source file (err_refs.c says how). */
#ifndef AR_DISCOVER_ERR_REFS_H
#define AR_DISCOVER_ERR_REFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_image;
struct err_refs;
struct text_refs;

/* Asks tr for the references to the __FILE__ string ending in file_tail
 * (nothing when the file has no such string), so that err_refs__scan
 * shares the file's one pass over .text. */
void err_refs__want(const struct elf_image *img, struct text_refs *tr, const char *file_tail);
/* Finds the references to the __FILE__ string ending in file_tail (e.g.
 * "ssl/ssl_lib.cc"; `lea` ones through tr) and decodes the functions
 * holding them, keeping those whose every reference is
 * ERR_put_error(err_lib, 0, reason, file, line). Returns 0; -E2BIG with
 * *out set when the string is referenced never or more than
 * TEXT_REFS_MAX times (only err_refs__n_refs is meaningful then); -ENOENT
 * (no such string or no .text), -ENOSPC (tr is full) or -ENOMEM with
 * *out NULL. */
int err_refs__scan(const struct elf_image *img, struct text_refs *tr, const char *file_tail,
		   int err_lib, struct err_refs **out);
/* err_refs__scan for a locator: a missing string or a reference count
 * out of bounds is a refusal, said in note[len] (what names the file:
 * "no <what> string", "<what> referenced N times"). Returns 1 then (*out
 * NULL), 0 with *out set, or -ENOMEM. */
int err_refs__scan_or_note(const struct elf_image *img, struct text_refs *tr,
			   const char *file_tail, int err_lib, const char *what, char *note,
			   size_t len, struct err_refs **out);
size_t err_refs__n_refs(const struct err_refs *s);
size_t err_refs__n_fns(const struct err_refs *s);
/* The start of the one function reporting exactly the reasons want
 * (sorted ascending) that, when callee_want is non-NULL, also calls a
 * function reporting exactly callee_want. 0 when none or several match. */
uint64_t err_refs__match_one(const struct err_refs *s, const uint16_t *want, size_t n,
			     const uint16_t *callee_want, size_t n_callee);
/* Whether a and b are called: a .got slot holds them (PIC calls through
 * it), or some `call rel32` in .text targets them. */
void err_refs__called(const struct err_refs *s, uint64_t a, uint64_t b, bool *ca, bool *cb);
void err_refs__free(struct err_refs *s);

#endif
