/* SPDX-License-Identifier: MIT */
/* Reads a whole fixture file for a Criterion test; a missing or short file
 * fails the test. The result is NUL-terminated; free() it. */
#ifndef AR_TEST_SLURP_H
#define AR_TEST_SLURP_H

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

static inline char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

#endif
