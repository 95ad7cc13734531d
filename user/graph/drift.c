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

/* The longest prefix of v found in in: found(L) is monotone in L. */
static size_t found_prefix(const char *v, size_t n, const char *in, size_t in_len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (memmem(in, in_len, v, mid))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Bytes of v that reached in; *cls gets the value's class. -1: -ENOMEM. */
static double reached_one(const struct drift_val *v, const char *in, size_t in_len, int *cls)
{
	size_t p = found_prefix(v->s, v->n, in, in_len);
	double rest;

	*cls = DRIFT_UNCHANGED;
	if (p == v->n)
		return (double)v->n;
	/* a cut: the prefix is there, what followed it mostly is not */
	rest = shingle_share(v->s + p, v->n - p, in, in_len);
	if (rest < 0)
		return -1;
	if (p >= SHINGLE && rest < 0.5) {
		*cls = DRIFT_TRUNCATED;
		return (double)p;
	}
	rest = shingle_share(v->s, v->n, in, in_len);
	*cls = DRIFT_TRANSFORMED;
	return rest < 0 ? -1 : rest * (double)v->n;
}

int drift__reached(const struct drift_val *vals, size_t n_vals, const char *in, size_t in_len,
		   double *share)
{
	double got = 0, all = 0;
	int worst = DRIFT_UNCHANGED, cls;

	for (size_t i = 0; i < n_vals; i++) {
		double r;

		if (!vals[i].n)
			continue;
		r = reached_one(&vals[i], in, in_len, &cls);
		if (r < 0)
			return -ENOMEM;
		got += r;
		all += (double)vals[i].n;
		if (cls > worst)
			worst = cls;
	}
	if (all == 0)
		return -ENOENT;
	*share = got / all;
	return worst;
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
