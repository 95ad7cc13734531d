// SPDX-License-Identifier: MIT
/* Content-Encoding decoders: every coding, stacking, caps, bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/budget.h"
#include "proto/decode.h"
#include "br_fixtures.h"

#define PLAIN br_fixture_plain
#define PLAIN_LEN (sizeof(br_fixture_plain) - 1)

/* zlib deflate with windowBits wb (16+15 gzip, 15 zlib, -15 raw). */
static size_t z_compress(const void *in, size_t n, int wb, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };

	cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, wb, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static size_t zstd_compress(const void *in, size_t n, uint8_t *out, size_t cap)
{
	size_t r = ZSTD_compress(out, cap, in, n, 3);

	cr_assert(!ZSTD_isError(r));
	return r;
}

struct result {
	int new_err, feed_err, fin_err;
	struct body_buf out;
};

/* split: 0 whole, 1 one byte at a time, 2 pseudo-random pieces */
static void run(const char *ce, const uint8_t *in, size_t n, size_t cap, int split,
		struct result *r)
{
	struct decode *d = NULL;
	unsigned seed = 7;

	memset(r, 0, sizeof(*r));
	r->out.cap = cap;
	r->new_err = decode__new(&d, ce, strlen(ce));
	if (r->new_err)
		return;
	cr_assert_not_null(d);
	for (size_t off = 0; off < n;) {
		size_t k = n - off;

		if (split == 1)
			k = 1;
		else if (split == 2 && k > 1)
			k = 1 + (size_t)(rand_r(&seed) % (k < 97 ? k : 97));
		int err = decode__feed(d, in + off, k, &r->out);

		if (err && !r->feed_err)
			r->feed_err = err;
		off += k;
	}
	r->fin_err = decode__finish(d, &r->out);
	decode__free(d);
}

static void expect_plain(const char *ce, const uint8_t *in, size_t n)
{
	for (int split = 0; split < 3; split++) {
		struct result r;

		run(ce, in, n, 1 << 20, split, &r);
		cr_assert_eq(r.new_err, 0, "%s new %d", ce, r.new_err);
		cr_expect_eq(r.feed_err, 0, "%s split %d feed %d", ce, split, r.feed_err);
		cr_expect_eq(r.fin_err, 0, "%s split %d finish %d", ce, split, r.fin_err);
		cr_expect_eq(r.out.len, PLAIN_LEN, "%s split %d len %zu", ce, split, r.out.len);
		cr_expect(r.out.p && memcmp(r.out.p, PLAIN, PLAIN_LEN) == 0, "%s split %d", ce, split);
		cr_expect(r.out.p && r.out.p[r.out.len] == 0, "NUL-terminated");
		cr_expect(!r.out.truncated);
		body_buf__free(&r.out);
	}
}

Test(decode, identity_needs_no_decoder)
{
	struct decode *d = (struct decode *)1;

	cr_expect_eq(decode__new(&d, "identity", 8), 0);
	cr_expect_null(d);
	cr_expect_eq(decode__new(&d, " , ", 3), 0);
	cr_expect_null(d);
	cr_expect_eq(decode__new(&d, "", 0), 0);
	cr_expect_null(d);
}

Test(decode, unknown_and_too_many)
{
	struct decode *d = NULL;
	const char *many = "gzip, gzip, gzip, gzip, gzip";

	cr_expect_eq(decode__new(&d, "compress", 8), -ENOTSUP);
	cr_expect_null(d);
	cr_expect_eq(decode__new(&d, "gzip, snappy", 12), -ENOTSUP);
	cr_expect_eq(decode__new(&d, many, strlen(many)), -E2BIG);
	cr_expect_null(d);
}

Test(decode, gzip)
{
	uint8_t buf[4096];
	size_t n = z_compress(PLAIN, PLAIN_LEN, 16 + 15, buf, sizeof(buf));

	expect_plain("gzip", buf, n);
	expect_plain("X-GZip", buf, n);
	expect_plain("identity, gzip", buf, n);
}

Test(decode, deflate_zlib_and_raw)
{
	uint8_t zl[4096], raw[4096];
	size_t nz = z_compress(PLAIN, PLAIN_LEN, 15, zl, sizeof(zl));
	size_t nr = z_compress(PLAIN, PLAIN_LEN, -15, raw, sizeof(raw));

	expect_plain("deflate", zl, nz);
	expect_plain("deflate", raw, nr);
}

Test(decode, brotli)
{
	expect_plain("br", br_fixture_br, sizeof(br_fixture_br));
}

Test(decode, zstd)
{
	uint8_t buf[4096];
	size_t n = zstd_compress(PLAIN, PLAIN_LEN, buf, sizeof(buf));

	expect_plain("zstd", buf, n);
}

Test(decode, stacked_gzip_br)
{
	/* "gzip, br": gzip applied first, br second */
	expect_plain("gzip, br", br_fixture_br_gzip, sizeof(br_fixture_br_gzip));
}

Test(decode, stacked_deflate_zstd_over_one_mib)
{
	size_t n = 1 << 20, zn, sn;
	uint8_t *plain = malloc(n), *z = malloc(n + 1024), *s = malloc(n + 1024);
	struct result r;

	for (size_t i = 0; i < n; i++)
		plain[i] = (uint8_t)("abcdefghij"[i % 10] + (i / 4096) % 7);
	zn = z_compress(plain, n, 15, z, n + 1024);
	sn = zstd_compress(z, zn, s, n + 1024);
	run("deflate,zstd", s, sn, 2 << 20, 2, &r);
	cr_expect_eq(r.feed_err, 0);
	cr_expect_eq(r.fin_err, 0);
	cr_assert_eq(r.out.len, n);
	cr_expect(memcmp(r.out.p, plain, n) == 0);
	body_buf__free(&r.out);
	free(plain);
	free(z);
	free(s);
}

Test(decode, output_cap_stops_a_bomb)
{
	size_t n = 8 << 20;
	uint8_t *zeros = calloc(1, n), *z = malloc(65536);
	size_t zn = z_compress(zeros, n, 16 + 15, z, 65536);

	for (int split = 0; split < 3; split += 2) {
		struct result r;

		run("gzip", z, zn, 1000, split, &r);
		cr_expect_eq(r.feed_err, 0);
		cr_expect_eq(r.fin_err, 0, "stopping at the cap is not an error");
		cr_expect_eq(r.out.len, 1000);
		cr_expect(r.out.truncated);
		cr_expect(r.out.size <= 1001, "never allocates past the cap: %zu", r.out.size);
		body_buf__free(&r.out);
	}
	free(zeros);
	free(z);
}

Test(decode, exact_cap_is_not_truncated)
{
	uint8_t buf[4096];
	size_t n = z_compress(PLAIN, PLAIN_LEN, 16 + 15, buf, sizeof(buf));
	struct result r;

	run("gzip", buf, n, PLAIN_LEN, 0, &r);
	cr_expect_eq(r.out.len, PLAIN_LEN);
	cr_expect(!r.out.truncated);
	body_buf__free(&r.out);
}

Test(decode, garbage_is_an_error)
{
	const char *codings[] = { "gzip", "deflate", "br", "zstd", "gzip, br" };
	uint8_t junk[512];
	unsigned seed = 99;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand_r(&seed);
	junk[0] = 0xff; /* not a zlib header, not a gzip/zstd magic */
	for (size_t c = 0; c < sizeof(codings) / sizeof(codings[0]); c++) {
		struct result r;

		run(codings[c], junk, sizeof(junk), 4096, 0, &r);
		cr_expect_eq(r.new_err, 0);
		if (strcmp(codings[c], "deflate") == 0 && r.feed_err == 0) {
			/* raw deflate may accept a random prefix; it must not
			 * claim a clean end though */
			cr_expect_neq(r.fin_err, 0);
		} else {
			cr_expect_eq(r.feed_err, -EINVAL, "%s: %d", codings[c], r.feed_err);
			cr_expect_eq(r.fin_err, -EINVAL, "%s", codings[c]);
		}
		body_buf__free(&r.out);
	}
}

Test(decode, error_is_sticky)
{
	struct decode *d = NULL;
	struct body_buf out = { .cap = 4096 };
	uint8_t bad[] = { 0x1f, 0x8b, 0x09, 0, 0, 0, 0, 0, 0, 0 }; /* method 9 */
	uint8_t good[4096];
	size_t n = z_compress(PLAIN, PLAIN_LEN, 16 + 15, good, sizeof(good));

	cr_assert_eq(decode__new(&d, "gzip", 4), 0);
	cr_expect_eq(decode__feed(d, bad, sizeof(bad), &out), -EINVAL);
	cr_expect_eq(decode__feed(d, good, n, &out), -EINVAL);
	cr_expect_eq(out.len, 0);
	decode__free(d);
	body_buf__free(&out);
}

Test(decode, cut_stream_is_epipe)
{
	uint8_t buf[4096];
	size_t n = z_compress(PLAIN, PLAIN_LEN, 16 + 15, buf, sizeof(buf));
	size_t zn;
	struct result r;

	run("gzip", buf, n / 2, 4096, 1, &r);
	cr_expect_eq(r.feed_err, 0);
	cr_expect_eq(r.fin_err, -EPIPE);
	cr_expect_lt(r.out.len, PLAIN_LEN);
	body_buf__free(&r.out);

	zn = zstd_compress(PLAIN, PLAIN_LEN, buf, sizeof(buf));
	run("zstd", buf, zn - 3, 4096, 0, &r);
	cr_expect_eq(r.fin_err, -EPIPE);
	body_buf__free(&r.out);

	run("br", br_fixture_br, sizeof(br_fixture_br) - 2, 4096, 0, &r);
	cr_expect_eq(r.fin_err, -EPIPE);
	body_buf__free(&r.out);
}

Test(decode, gzip_members_concatenate)
{
	uint8_t buf[8192];
	size_t a = z_compress("hello ", 6, 16 + 15, buf, sizeof(buf));
	size_t b = z_compress("world", 5, 16 + 15, buf + a, sizeof(buf) - a);
	struct result r;

	run("gzip", buf, a + b, 4096, 1, &r);
	cr_expect_eq(r.fin_err, 0);
	cr_expect_eq(r.out.len, 11);
	cr_expect(r.out.p && memcmp(r.out.p, "hello world", 11) == 0);
	body_buf__free(&r.out);
}

Test(decode, body_buf_caps_and_terminates)
{
	struct body_buf b = { .cap = 10 };

	cr_expect_eq(body_buf__append(&b, "hello", 5), 0);
	cr_expect_eq(body_buf__append(&b, " world!", 7), 0);
	cr_expect_eq(b.len, 10);
	cr_expect(b.truncated);
	cr_expect(memcmp(b.p, "hello worl", 11) == 0, "NUL after the cap");
	body_buf__reset(&b, 1 << 20);
	cr_expect_eq(b.len, 0);
	cr_expect(!b.truncated);
	cr_expect_not_null(b.p, "small buffers are kept");
	body_buf__reset(&b, 0);
	cr_expect_null(b.p);
	body_buf__free(&b);
}

/* Feeds in whole; returns decode__feed's result and the stop reason. */
static int feed_stop(const char *ce, const uint8_t *in, size_t n, size_t cap,
		     enum decode_stop *why, struct body_buf *out)
{
	struct decode *d = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	out->cap = cap;
	cr_assert_eq(decode__new(&d, ce, strlen(ce)), 0);
	err = decode__feed(d, in, n, out);
	*why = decode__stop(d);
	cr_assert_eq(decode__finish(d, out), 0, "a limit stop is not a cut stream");
	decode__free(d);
	return err;
}

/* The bomb: zstd over a tiny gzip member followed by zeros. The
 * gzip layer ends, and the zstd layer used to go on inflating the zeros
 * for nothing, uncounted. */
Test(decode, stacked_bomb_stops_when_the_inner_layer_ends)
{
	size_t zeros = 8u << 20, gz_len, zs_len;
	uint8_t *plain = calloc(1, zeros + 64), *zs = malloc(1 << 20);
	enum decode_stop why;
	struct body_buf out;

	cr_assert(plain && zs);
	gz_len = z_compress("hello", 5, 16 + 15, plain, 64);
	zs_len = zstd_compress(plain, gz_len + zeros, zs, 1 << 20);
	cr_assert_lt(zs_len, 4096u);
	cr_assert_eq(feed_stop("gzip, zstd", zs, zs_len, 1 << 20, &why, &out), -EFBIG);
	cr_assert_eq(why, DECODE_STOP_TRAILING);
	cr_assert_eq(out.len, 5);
	cr_assert_not(out.truncated, "bytes after the inner end are not content");
	body_buf__free(&out);
	free(plain);
	free(zs);
}

/* Empty gzip members produce nothing, so the output cap never stops them:
 * the compressed input is capped too. */
Test(decode, compressed_input_is_capped)
{
	uint8_t member[64], *in = malloc(4u << 20);
	size_t m = z_compress("", 0, 16 + 15, member, sizeof(member)), n = 0;
	enum decode_stop why;
	struct body_buf out;

	cr_assert(in);
	while (n + m <= (4u << 20)) {
		memcpy(in + n, member, m);
		n += m;
	}
	cr_assert_eq(feed_stop("gzip", in, n, 64 << 10, &why, &out), -EFBIG);
	cr_assert_eq(why, DECODE_STOP_INPUT);
	cr_assert(out.truncated);
	body_buf__free(&out);
	free(in);
}

/* A middle layer that expands without end is stopped by its own cap even
 * though the final layer (which only sees its output) never fills. */
Test(decode, middle_layer_output_is_capped)
{
	size_t big = 16u << 20, gz_len, zs_len;
	uint8_t *plain = malloc(big), *gz = malloc(1 << 20), *zs = malloc(1 << 20);
	enum decode_stop why;
	struct body_buf out;

	cr_assert(plain && gz && zs);
	/* 16 MiB of empty gzip members: gzip layer outputs nothing */
	gz_len = z_compress("", 0, 16 + 15, gz, 64);
	for (size_t o = 0; o + gz_len <= big; o += gz_len)
		memcpy(plain + o, gz, gz_len);
	zs_len = zstd_compress(plain, big - big % gz_len, zs, 1 << 20);
	cr_assert_eq(feed_stop("gzip, zstd", zs, zs_len, 64 << 10, &why, &out), -EFBIG);
	cr_assert_eq(why, DECODE_STOP_LAYER_OUTPUT);
	body_buf__free(&out);
	free(plain);
	free(gz);
	free(zs);
}

/* The daemon-wide budget is asked before a buffer grows: past it the
 * growth is refused, the buffer marked truncated and the refusal counted;
 * freeing gives the bytes back. */
Test(decode, buffers_charge_the_daemon_budget)
{
	struct body_buf a = { .cap = 1 << 20 }, b = { .cap = 1 << 20 };
	static uint8_t data[64 << 10];
	struct budget_stats st0, st;

	budget__set(160 << 10); /* a grows to 128 KiB (power of two) */
	budget__stats(&st0);
	cr_assert_eq(body_buf__append(&a, data, sizeof(data)), 0);
	cr_assert_not(a.truncated);
	cr_assert_eq(body_buf__append(&b, data, sizeof(data)), -ENOMEM, "the second 64 KiB is over");
	cr_assert(b.truncated);
	budget__stats(&st);
	cr_assert_eq(st.refused, st0.refused + 1);
	cr_assert_leq(st.used, 160 << 10);
	body_buf__free(&a);
	body_buf__free(&b);
	budget__stats(&st);
	cr_assert_eq(st.used, st0.used, "freeing gives every byte back");
	cr_assert_eq(body_buf__append(&b, data, sizeof(data)), 0);
	body_buf__free(&b);
	budget__set(BUDGET_DEFAULT_BYTES);
}
