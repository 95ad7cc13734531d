// SPDX-License-Identifier: MIT
/*
 * The one .text pass every TLS locator of a file shares (discover/
 * text_refs.c) and the vectorised `lea` scan under it (x86_refs.c): the
 * vector loop must find exactly what a byte-by-byte reading finds, at
 * every position and buffer length, and one pass must serve every target
 * asked for before the first lookup.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "discover/elf_image.h"
#include "discover/text_refs.h"
#include "discover/x86_refs.h"

/* The definition, one position at a time. */
static size_t lea_plain(const uint8_t *code, size_t len, uint64_t addr, uint64_t target,
			uint64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i + 7 <= len; i++) {
		int32_t disp;

		if ((code[i] != 0x48 && code[i] != 0x4c) || code[i + 1] != 0x8d ||
		    (code[i + 2] & 0xc7) != 0x05)
			continue;
		memcpy(&disp, code + i + 3, 4);
		if (addr + i + 7 + (int64_t)disp != target)
			continue;
		if (n < max)
			out[n] = addr + i;
		n++;
	}
	return n;
}

/* Random code dense in lea pieces, so that hits fall at every offset of
 * a 16-byte block and across block and buffer ends. */
Test(text_refs, vector_scan_matches_the_definition)
{
	static uint8_t buf[300];
	uint64_t got[2 * 8], want[8], targets[2];
	size_t counts[2], hits = 0;

	srand(15);
	for (int it = 0; it < 20000; it++) {
		size_t len = rand() % sizeof(buf);

		for (size_t i = 0; i < len; i++) {
			int r = rand() % 8;

			buf[i] = r == 0 ? 0x48 : r == 1 ? 0x4c : r == 2 ? 0x8d : r == 3 ? 0x05 :
				 r == 4 ? 0x3d : r < 7 ? 0 : rand();
		}
		targets[0] = 0x1000 + rand() % 512;
		targets[1] = 0x1000 + rand() % 512;
		/* leas to the targets at random places (some overlap, some
		 * run past the end): REX.W or REX.WR, any register */
		for (int k = rand() % 12; k > 0 && len >= 3; k--) {
			size_t at = rand() % (len - 2);
			int32_t disp = targets[rand() & 1] - (0x1000 + at + 7);

			buf[at] = rand() & 1 ? 0x48 : 0x4c;
			buf[at + 1] = 0x8d;
			buf[at + 2] = 0x05 | (rand() % 8) << 3;
			memcpy(buf + at + 3, &disp, at + 7 <= len ? 4 : len - at - 3);
		}
		x86_refs__lea_many(buf, len, 0x1000, targets, 2, got, counts, 8);
		for (int t = 0; t < 2; t++) {
			size_t n = lea_plain(buf, len, 0x1000, targets[t], want, 8);

			cr_assert_eq(counts[t], n, "len %zu target %d", len, t);
			hits += n;
			cr_assert_eq(memcmp(got + t * 8, want, (n < 8 ? n : 8) * 8), 0);
		}
	}
	cr_assert_gt(hits, 20000, "the fixture plants references");
}

/* A hand-made piece of code: each target's lea, REX.W and REX.WR alike,
 * found in one call. */
Test(text_refs, lea_many_finds_each_target)
{
	/* lea rax, [rip+0x10]; lea r9, [rip+0x20]; lea rcx, [rip+0x09] */
	static const uint8_t code[] = {
		0x48, 0x8d, 0x05, 0x10, 0, 0, 0,
		0x4c, 0x8d, 0x0d, 0x20, 0, 0, 0,
		0x48, 0x8d, 0x0d, 0x09, 0, 0, 0,
	};
	const uint64_t t[3] = { 0x1000 + 7 + 0x10, 0x1000 + 14 + 0x20, 0x1000 + 21 + 0x09 };
	uint64_t out[3 * 2];
	size_t counts[3];

	x86_refs__lea_many(code, sizeof(code), 0x1000, t, 3, out, counts, 2);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(counts[i], 1, "target %d", i);
		cr_assert_eq(out[i * 2], 0x1000 + 7 * i);
	}
}

/* On Codex: the references come out the same through a table as from a
 * scan of their own, and every target asked for before the first lookup
 * costs one pass; a target asked for later costs one more. */
#define CODEX "tests/agents/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"

Test(text_refs, codex_targets_share_one_pass)
{
	struct elf_image *img;
	struct text_refs *r;
	const uint8_t *text, *s1, *s2, *s3;
	const uint64_t *refs;
	uint64_t text_addr, t[3], own[TEXT_REFS_MAX];
	size_t tlen, n;

	cr_assert_eq(elf_image__open(CODEX, &img), 0, "%s missing", CODEX);
	text = elf_image__section(img, ".text", &tlen, &text_addr);
	s1 = elf_image__find_data(img, "\0ssl_read_internal\0", 19, NULL);
	s2 = elf_image__find_data(img, "\0ssl_write_internal\0", 20, NULL);
	s3 = elf_image__find_data(img, "\0ssl3_write_bytes\0", 18, NULL);
	cr_assert(text && s1 && s2 && s3);
	t[0] = elf_image__addr_of(img, s1 + 1);
	t[1] = elf_image__addr_of(img, s2 + 1);
	t[2] = elf_image__addr_of(img, s3 + 1);
	r = text_refs__new(img);
	cr_assert_not_null(r);
	cr_assert_eq(text_refs__want(r, t[0]), 0);
	cr_assert_eq(text_refs__want(r, t[1]), 0);
	cr_assert_eq(text_refs__passes(r), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(text_refs__lea(r, t[i], &refs, &n), 0);
		cr_assert_eq(text_refs__passes(r), i < 2 ? 1u : 2u, "target %d", i);
		cr_assert_gt(n, 0);
		cr_assert_eq(x86_refs__lea(text, tlen, text_addr, t[i], own, TEXT_REFS_MAX), n);
		cr_assert_eq(memcmp(refs, own, (n < TEXT_REFS_MAX ? n : TEXT_REFS_MAX) * 8), 0);
	}
	text_refs__free(r);
	elf_image__close(img);
}
