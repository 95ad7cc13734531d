// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "graph/drift.h"
#include "graph/names.h"
#include "graph/norm.h"

#define SHINGLE 8
/* a truncating agent may append a marker such as "...[truncated]" */
#define MARKER_MAX 64

static size_t common_prefix(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0;

	while (i < an && i < bn && a[i] == b[i])
		i++;
	return i;
}

/* Fraction of a's shingles that occur in b, through an open-addressing
 * set of b's shingle hashes. Returns -1 on -ENOMEM. */
static double shingle_share(const char *a, size_t an, const char *b, size_t bn)
{
	size_t cap = 16, nb, hit = 0, na;
	uint64_t *set;

	if (an < SHINGLE || bn < SHINGLE)
		return an && bn && memmem(b, bn, a, an) ? 1.0 : 0.0;
	nb = bn - SHINGLE + 1;
	while (cap < 2 * nb)
		cap *= 2;
	set = calloc(cap, sizeof(*set));
	if (!set)
		return -1;
	for (size_t i = 0; i < nb; i++) {
		uint64_t h = XXH3_64bits(b + i, SHINGLE) | 1; /* 0 marks empty */
		size_t k = h & (cap - 1);

		while (set[k] && set[k] != h)
			k = (k + 1) & (cap - 1);
		set[k] = h;
	}
	na = an - SHINGLE + 1;
	for (size_t i = 0; i < na; i++) {
		uint64_t h = XXH3_64bits(a + i, SHINGLE) | 1;
		size_t k = h & (cap - 1);

		while (set[k] && set[k] != h)
			k = (k + 1) & (cap - 1);
		hit += set[k] == h;
	}
	free(set);
	return (double)hit / (double)na;
}

int drift__compare(const char *out, size_t on, const char *res, size_t rn, double *share)
{
	char *a = NULL, *b = NULL;
	size_t an, bn, lcp;
	int ret = -ENOMEM;
	double sh;

	/* 1. equal in normal form (JSON key order and whitespace aside) */
	a = norm__text(out, on, &an);
	b = norm__text(res, rn, &bn);
	if (!a || !b)
		goto cleanup;
	if (an == bn && memcmp(a, b, an) == 0) {
		*share = 1.0;
		ret = DRIFT_UNCHANGED;
		goto cleanup;
	}
	/* 2. compare as plain text: a cut JSON document is no longer JSON */
	free(a);
	free(b);
	a = norm__ws(out, on, &an);
	b = norm__ws(res, rn, &bn);
	if (!a || !b)
		goto cleanup;
	lcp = common_prefix(a, an, b, bn);
	if (an && bn < an && lcp > 0 && bn - lcp <= MARKER_MAX && lcp * 2 >= bn) {
		*share = (double)lcp / (double)an;
		ret = DRIFT_TRUNCATED;
		goto cleanup;
	}
	sh = shingle_share(a, an, b, bn);
	if (sh < 0)
		goto cleanup;
	*share = sh;
	ret = DRIFT_TRANSFORMED;
cleanup:
	free(a);
	free(b);
	return ret;
}

const char *drift__name(enum drift d)
{
	switch (d) {
	case DRIFT_UNCHANGED:
		return GN_DRIFT_UNCHANGED;
	case DRIFT_TRUNCATED:
		return GN_DRIFT_TRUNCATED;
	default:
		return GN_DRIFT_TRANSFORMED;
	}
}
