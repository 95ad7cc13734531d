/* SPDX-License-Identifier: MIT */
/* The references from a file's .text to the strings TLS locators look
 * for (OpenSSL's __func__ names, BoringSSL's and aws-lc's __FILE__
 * paths), gathered in one pass for every library of the file: Codex's
 * 233 MB .text was scanned once per library, ~100 ms each. Locators name
 * their strings first (text_refs__want, from each library's `want`
 * hook), and the first lookup scans for all of them at once. Bounded:
 * TEXT_REFS_TARGETS strings, TEXT_REFS_MAX references stored per string.
 * Not thread-safe; lives as long as the image it reads. */
#ifndef AR_DISCOVER_TEXT_REFS_H
#define AR_DISCOVER_TEXT_REFS_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_REFS_TARGETS 8
#define TEXT_REFS_MAX 512

struct elf_image;
struct text_refs;

/* A table over img's .text. NULL when out of memory. */
struct text_refs *text_refs__new(const struct elf_image *img);
void text_refs__free(struct text_refs *r);

/* Asks for the references to address target in the next pass. Returns 0
 * (also when already asked), or -ENOSPC when TEXT_REFS_TARGETS are
 * asked for (the caller's lookup then fails the same way). */
int text_refs__want(struct text_refs *r, uint64_t target);

/* The `lea r64, [rip+d]` instructions (x86_refs__lea) whose target is
 * target: *n of them, the first min(*n, TEXT_REFS_MAX) at *refs. A
 * target not asked for yet is asked for now; every target asked for and
 * not scanned yet is scanned in one pass. Returns 0, -ENOENT when the
 * file has no .text, or -ENOSPC. */
int text_refs__lea(struct text_refs *r, uint64_t target, const uint64_t **refs, size_t *n);

/* Passes over .text made so far, and their wall time in microseconds
 * (the locate timing log; a test that both libraries share one pass). */
unsigned text_refs__passes(const struct text_refs *r);
uint64_t text_refs__pass_us(const struct text_refs *r);

#endif
