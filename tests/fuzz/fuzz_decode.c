// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for stacked Content-Encoding: input is a coding list
 * (up to the first '\n'), then the body. The body is decoded whole and in
 * pieces under a small output cap; both must agree, and no layer may work
 * past the limits (seeds hold stacked gzip/deflate/zstd/br bombs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/decode.h"

static int run(const char *ce, size_t ce_len, const uint8_t *in, size_t n, size_t step,
	       struct body_buf *out)
{
	struct decode *d = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	out->cap = 256u << 10;
	err = decode__new(&d, ce, ce_len);
	if (err || !d)
		return err;
	for (size_t off = 0; off < n && !err; off += step)
		err = decode__feed(d, in + off, n - off < step ? n - off : step, out);
	if (!err)
		err = decode__finish(d, out);
	decode__free(d);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 64 ? size : 64);
	struct body_buf a, b;
	size_t ce_len, step;
	int ea, eb;

	if (!nl || nl + 2 > data + size)
		return 0;
	ce_len = (size_t)(nl - data);
	step = 1 + nl[1] % 251;
	ea = run((const char *)data, ce_len, nl + 2, size - ce_len - 2, size, &a);
	eb = run((const char *)data, ce_len, nl + 2, size - ce_len - 2, step, &b);
	/* a stream that decodes cleanly gives the same bytes however it
	 * arrives (corrupt ones may flush more or less before the error) */
	if (!ea && !eb && !a.truncated && !b.truncated &&
	    (a.len != b.len || memcmp(a.p, b.p, a.len)))
		abort();
	body_buf__free(&a);
	body_buf__free(&b);
	return 0;
}
