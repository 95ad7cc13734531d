// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "discover/elf_image.h"
#include "discover/text_refs.h"
#include "discover/x86_refs.h"

struct text_refs {
	const uint8_t *text;          /* NULL: the file has no .text */
	size_t len;
	uint64_t addr;
	uint64_t target[TEXT_REFS_TARGETS];
	bool scanned[TEXT_REFS_TARGETS];
	size_t count[TEXT_REFS_TARGETS];
	size_t nt;
	uint64_t refs[TEXT_REFS_TARGETS * TEXT_REFS_MAX]; /* target t's at t * MAX */
	unsigned passes;
	uint64_t pass_us;
};

struct text_refs *text_refs__new(const struct elf_image *img)
{
	struct text_refs *r = calloc(1, sizeof(*r));

	if (r)
		r->text = elf_image__section(img, ".text", &r->len, &r->addr);
	return r;
}

void text_refs__free(struct text_refs *r)
{
	free(r);
}

static int slot_of(const struct text_refs *r, uint64_t target)
{
	for (size_t t = 0; t < r->nt; t++)
		if (r->target[t] == target)
			return t;
	return -1;
}

int text_refs__want(struct text_refs *r, uint64_t target)
{
	if (slot_of(r, target) >= 0)
		return 0;
	if (r->nt == TEXT_REFS_TARGETS)
		return -ENOSPC;
	r->target[r->nt] = target;
	r->scanned[r->nt++] = false;
	return 0;
}

/* One pass for every target not scanned yet. */
static void scan(struct text_refs *r)
{
	uint64_t want[TEXT_REFS_TARGETS], *found = NULL;
	size_t slot[TEXT_REFS_TARGETS], counts[TEXT_REFS_TARGETS], n = 0;
	struct timespec t0, t1;

	for (size_t t = 0; t < r->nt; t++)
		if (!r->scanned[t]) {
			slot[n] = t;
			want[n++] = r->target[t];
		}
	if (!n)
		return;
	/* new targets are appended, so the unscanned ones are a tail of
	 * slots: they are scanned straight into their own rows */
	found = r->refs + slot[0] * TEXT_REFS_MAX;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	x86_refs__lea_many(r->text, r->len, r->addr, want, n, found, counts, TEXT_REFS_MAX);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->passes++;
	r->pass_us += (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	for (size_t i = 0; i < n; i++) {
		r->count[slot[i]] = counts[i];
		r->scanned[slot[i]] = true;
	}
}

int text_refs__lea(struct text_refs *r, uint64_t target, const uint64_t **refs, size_t *n)
{
	int t, err;

	*n = 0;
	*refs = NULL;
	err = text_refs__want(r, target);
	if (err)
		return err;
	if (!r->text)
		return -ENOENT;
	t = slot_of(r, target);
	if (!r->scanned[t])
		scan(r);
	*refs = r->refs + t * TEXT_REFS_MAX;
	*n = r->count[t];
	return 0;
}

unsigned text_refs__passes(const struct text_refs *r)
{
	return r->passes;
}

uint64_t text_refs__pass_us(const struct text_refs *r)
{
	return r->pass_us;
}
