// SPDX-License-Identifier: MIT
/* Capture file round trip and rejection of every kind of damage. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <agentrace/events.h>

#include "capture/file.h"

static char tmp_path[64];

static const char *tmpfile_path(void)
{
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/ar_capture_test.%d", getpid());
	return tmp_path;
}

static void cleanup_tmp(void)
{
	if (tmp_path[0])
		unlink(tmp_path);
}

static struct capture_info test_info(void)
{
	struct capture_info info = {
		.mono_to_real_ns = 1700000000123456789ull,
		.start_unix_ns = 1700000100000000000ull,
		.chunk_max = AR_CHUNK_MAX,
		.bounded_bytes = 4096,
	};

	strcpy(info.hostname, "build-host-01");
	strcpy(info.agentrace_version, "0.1.0-test");
	return info;
}

/* Builds record i of a deterministic mix of every type into buf.
 * Returns its length. */
static size_t make_record(unsigned i, uint8_t *buf)
{
	struct ar_event_hdr *h = (void *)buf;
	size_t len;

	switch (i % 6) {
	case 0: {
		struct ar_data_event *d = (void *)buf;
		uint32_t n = (i * 7919u) % (AR_CHUNK_MAX + 1);

		if (i % 12 == 0)
			n = i % 24 == 0 ? 0 : AR_CHUNK_MAX;
		memset(d, 0, sizeof(*d));
		d->hdr.type = AR_EV_DATA;
		d->seq = i * 1000ull;
		d->fd = (int)i;
		d->len = n;
		d->dir = i & 1;
		strcpy(d->comm, "python3");
		for (uint32_t k = 0; k < n; k++)
			d->data[k] = (uint8_t)(k * 31 + i);
		len = sizeof(*d) + n;
		break;
	}
	case 1:
	case 2: {
		struct ar_conn_event *c = (void *)buf;

		memset(c, 0, sizeof(*c));
		c->hdr.type = i % 6 == 1 ? AR_EV_CONN_OPEN : AR_EV_CONN_CLOSE;
		c->tuple.family = 2;
		c->tuple.sport = (uint16_t)i;
		c->tuple.dport = 443;
		c->bytes[0] = i;
		c->bytes[1] = i * 2ull;
		strcpy(c->comm, "node");
		len = sizeof(*c);
		break;
	}
	case 3:
	case 4: {
		struct ar_proc_event *p = (void *)buf;

		memset(p, 0, sizeof(*p));
		p->hdr.type = i % 6 == 3 ? AR_EV_PROC_EXEC : AR_EV_PROC_EXIT;
		p->ppid = i + 1;
		snprintf(p->filename, sizeof(p->filename), "/usr/bin/agent-%u", i);
		len = sizeof(*p);
		break;
	}
	default: {
		struct ar_proc_info *pi = (void *)buf;

		memset(pi, 0, sizeof(*pi));
		pi->hdr.type = AR_EV_PROC_INFO;
		strcpy(pi->service_name, "checkout-agent");
		strcpy(pi->container_id, "abc123");
		len = sizeof(*pi);
		break;
	}
	}
	h->tgid = 1000 + i;
	h->tid = 2000 + i;
	h->ts_ns = 5000000ull * i;
	h->conn_id = i + 1;
	return len;
}

static uint8_t recbuf[sizeof(struct ar_data_event) + AR_CHUNK_MAX];

/* Writes n records; returns the file size. */
static long write_file(const char *path, unsigned n)
{
	struct capture_info info = test_info();
	struct capture_writer *w;
	FILE *f;
	long size;

	cr_assert_eq(capture_writer__open(path, &info, &w), 0);
	for (unsigned i = 0; i < n; i++) {
		size_t len = make_record(i, recbuf);

		cr_assert_eq(capture_writer__write(w, recbuf, len), 0);
	}
	cr_assert_eq(capture_writer__close(w), 0);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	return size;
}

static uint8_t *slurp(const char *path, long *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	*size = ftell(f);
	rewind(f);
	buf = malloc((size_t)*size + 1);
	cr_assert_eq(fread(buf, 1, (size_t)*size, f), (size_t)*size);
	fclose(f);
	return buf;
}

static void spit(const char *path, const uint8_t *buf, long size)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* test hosts are little-endian, like the format */
}

/* Reads the whole file; returns records read and the final rc. */
static unsigned read_all(const char *path, int *rc_out, struct capture_reader **rout)
{
	struct capture_info info;
	struct capture_reader *r;
	const void *rec;
	size_t len;
	unsigned n = 0;
	int rc;

	rc = capture_reader__open(path, &info, &r);
	if (rc) {
		*rc_out = rc;
		*rout = r;
		return 0;
	}
	while ((rc = capture_reader__next(r, &rec, &len)) == 1)
		n++;
	*rc_out = rc;
	*rout = r;
	return n;
}

static void expect_offset_msg(struct capture_reader *r, uint64_t off)
{
	char want[48];

	snprintf(want, sizeof(want), "offset %llu", (unsigned long long)off);
	cr_expect(strstr(capture_reader__error(r), want), "error '%s' lacks '%s'",
		  capture_reader__error(r), want);
}

TestSuite(capture_file, .fini = cleanup_tmp);

Test(capture_file, round_trip_every_type)
{
	const char *path = tmpfile_path();
	struct capture_info want = test_info(), got;
	struct capture_reader *r;
	uint64_t off = AR_CAPTURE_HDR_LEN;
	const unsigned n = 600;
	const void *rec;
	size_t len;

	write_file(path, n);
	cr_assert_eq(capture_reader__open(path, &got, &r), 0);
	cr_expect_eq(got.mono_to_real_ns, want.mono_to_real_ns);
	cr_expect_eq(got.start_unix_ns, want.start_unix_ns);
	cr_expect_eq(got.chunk_max, AR_CHUNK_MAX);
	cr_expect_eq(got.bounded_bytes, 4096, "bounded capture is recorded");
	cr_expect_str_eq(got.hostname, "build-host-01");
	cr_expect_str_eq(got.agentrace_version, "0.1.0-test");
	for (unsigned i = 0; i < n; i++) {
		size_t wlen = make_record(i, recbuf);

		cr_assert_eq(capture_reader__next(r, &rec, &len), 1, "record %u", i);
		cr_assert_eq(len, wlen, "record %u length", i);
		cr_assert_eq(memcmp(rec, recbuf, len), 0, "record %u bytes", i);
		cr_assert_eq(capture_reader__offset(r), off);
		off += AR_CAPTURE_FRAME_LEN + len;
	}
	cr_expect_eq(capture_reader__next(r, &rec, &len), 0);
	cr_expect_eq(capture_reader__next(r, &rec, &len), 0, "eof is repeatable");
	cr_expect_str_eq(capture_reader__error(r), "");
	capture_reader__close(r);
}

Test(capture_file, header_bytes_are_little_endian)
{
	const char *path = tmpfile_path();
	long size;
	uint8_t *b;

	write_file(path, 0);
	b = slurp(path, &size);
	cr_assert_eq(size, AR_CAPTURE_HDR_LEN);
	cr_expect_eq(memcmp(b, "AGTRACE\0", 8), 0);
	cr_expect_eq(b[8], 1);
	cr_expect_eq(b[9] | b[10] | b[11], 0);
	cr_expect_eq(b[12], AR_CAPTURE_HDR_LEN);
	cr_expect_eq(b[13], 0);
	/* 1700000000123456789 = 0x17979cfe3d85cd15 */
	cr_expect_eq(b[16], 0x15);
	cr_expect_eq(b[23], 0x17);
	cr_expect_eq(b[32], 0x00);
	cr_expect_eq(b[33], 0x40); /* 16384 */
	cr_expect_str_eq((char *)b + 40, "build-host-01");
	cr_expect_str_eq((char *)b + 104, "0.1.0-test");
	free(b);
}

Test(capture_file, zero_records)
{
	const char *path = tmpfile_path();
	struct capture_reader *r;
	int rc;

	write_file(path, 0);
	cr_expect_eq(read_all(path, &rc, &r), 0);
	cr_expect_eq(rc, 0);
	capture_reader__close(r);
}

Test(capture_file, bad_magic)
{
	const char *path = tmpfile_path();
	struct capture_info info;
	struct capture_reader *r;
	long size;
	uint8_t *b;

	write_file(path, 3);
	b = slurp(path, &size);
	b[3] = 'X';
	spit(path, b, size);
	cr_assert_eq(capture_reader__open(path, &info, &r), -EBADMSG);
	cr_assert_not_null(r);
	cr_expect(strstr(capture_reader__error(r), "magic"));
	expect_offset_msg(r, 0);
	cr_expect_eq(capture_reader__next(r, &(const void *){ 0 }, &(size_t){ 0 }), -EBADMSG);
	capture_reader__close(r);
	free(b);
}

/* Bounded capture is recorded at offset 36 (reserved, 0, before it was
 * used), so a file of an earlier writer reads as unbounded. */
Test(capture_file, bounded_bytes_at_offset_36)
{
	const char *path = tmpfile_path();
	struct capture_info info;
	struct capture_reader *r;
	long size;
	uint8_t *b;

	write_file(path, 1);
	b = slurp(path, &size);
	cr_assert_eq(b[36] | b[37] << 8 | b[38] << 16 | (uint32_t)b[39] << 24, 4096);
	put32(b + 36, 0);
	spit(path, b, size);
	cr_assert_eq(capture_reader__open(path, &info, &r), 0);
	cr_expect_eq(info.bounded_bytes, 0);
	capture_reader__close(r);
	free(b);
}

Test(capture_file, unknown_version)
{
	const char *path = tmpfile_path();
	struct capture_info info;
	struct capture_reader *r;
	long size;
	uint8_t *b;

	write_file(path, 3);
	b = slurp(path, &size);
	put32(b + 8, 2);
	spit(path, b, size);
	cr_assert_eq(capture_reader__open(path, &info, &r), -EBADMSG);
	cr_expect(strstr(capture_reader__error(r), "version 2"));
	expect_offset_msg(r, 8);
	capture_reader__close(r);
	free(b);
}

Test(capture_file, header_too_short_or_huge)
{
	const char *path = tmpfile_path();
	uint32_t bad[] = { 0, 16, AR_CAPTURE_HDR_LEN - 1, AR_CAPTURE_HDR_MAX + 1, 0xffffffffu };
	struct capture_info info;
	struct capture_reader *r;
	long size;
	uint8_t *b;

	write_file(path, 1);
	b = slurp(path, &size);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(b + 12, bad[i]);
		spit(path, b, size);
		cr_expect_eq(capture_reader__open(path, &info, &r), -EBADMSG, "hdr_len %u", bad[i]);
		expect_offset_msg(r, 12);
		capture_reader__close(r);
	}
	free(b);
}

Test(capture_file, longer_header_is_skipped)
{
	/* A later minor revision may append header fields: readers skip them. */
	const char *path = tmpfile_path();
	struct capture_reader *r;
	long size;
	uint8_t *b, *nb;
	int rc;

	write_file(path, 5);
	b = slurp(path, &size);
	nb = calloc(1, (size_t)size + 24);
	memcpy(nb, b, AR_CAPTURE_HDR_LEN);
	memset(nb + AR_CAPTURE_HDR_LEN, 0xee, 24);
	memcpy(nb + AR_CAPTURE_HDR_LEN + 24, b + AR_CAPTURE_HDR_LEN, (size_t)size - AR_CAPTURE_HDR_LEN);
	put32(nb + 12, AR_CAPTURE_HDR_LEN + 24);
	spit(path, nb, size + 24);
	cr_expect_eq(read_all(path, &rc, &r), 5);
	cr_expect_eq(rc, 0);
	capture_reader__close(r);
	free(b);
	free(nb);
}

Test(capture_file, crc_mismatch_names_offset)
{
	const char *path = tmpfile_path();
	struct capture_reader *r;
	uint64_t rec2 = AR_CAPTURE_HDR_LEN + AR_CAPTURE_FRAME_LEN + make_record(0, recbuf);
	long size;
	uint8_t *b;
	int rc;

	write_file(path, 4);
	b = slurp(path, &size);
	b[rec2 + AR_CAPTURE_FRAME_LEN + 40] ^= 0x01;
	spit(path, b, size);
	cr_expect_eq(read_all(path, &rc, &r), 1);
	cr_expect_eq(rc, -EBADMSG);
	cr_expect(strstr(capture_reader__error(r), "crc"), "%s", capture_reader__error(r));
	expect_offset_msg(r, rec2);
	cr_expect_eq(capture_reader__offset(r), rec2);
	capture_reader__close(r);
	free(b);
}

Test(capture_file, bad_record_lengths)
{
	const char *path = tmpfile_path();
	uint32_t bad[] = { 0, 8, sizeof(struct ar_event_hdr) - 1, AR_CAPTURE_REC_MAX + 1, 0xffffffffu };
	struct capture_reader *r;
	long size;
	uint8_t *b;
	int rc;

	write_file(path, 2);
	b = slurp(path, &size);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(b + AR_CAPTURE_HDR_LEN, bad[i]);
		spit(path, b, size);
		cr_expect_eq(read_all(path, &rc, &r), 0);
		cr_expect_eq(rc, -EBADMSG, "length %u", bad[i]);
		expect_offset_msg(r, AR_CAPTURE_HDR_LEN);
		capture_reader__close(r);
	}
	free(b);
}

/* Writes one record with a valid frame and CRC but a bad body. */
static void expect_body_rejected(const void *rec, size_t len, const char *what)
{
	const char *path = tmpfile_path();
	struct capture_info info = test_info();
	struct capture_writer *w;
	struct capture_reader *r;
	int rc;

	cr_assert_eq(capture_writer__open(path, &info, &w), 0);
	cr_assert_eq(capture_writer__write(w, rec, len), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	cr_expect_eq(read_all(path, &rc, &r), 0, "%s", what);
	cr_expect_eq(rc, -EBADMSG, "%s", what);
	expect_offset_msg(r, AR_CAPTURE_HDR_LEN);
	capture_reader__close(r);
}

Test(capture_file, malformed_bodies)
{
	uint8_t buf[sizeof(struct ar_data_event) + 64] = { 0 };
	struct ar_data_event *d = (void *)buf;
	struct ar_conn_event c = { .hdr.type = AR_EV_CONN_OPEN };
	struct ar_proc_info pi = { .hdr.type = AR_EV_PROC_INFO };
	struct ar_event_hdr h0 = { .type = 0 };

	d->hdr.type = AR_EV_DATA;
	d->len = 65;
	expect_body_rejected(buf, sizeof(*d) + 64, "data len larger than record");
	d->len = 10;
	expect_body_rejected(buf, sizeof(*d) + 64, "data len smaller than record");
	expect_body_rejected(buf, sizeof(*d) - 8, "data record shorter than its struct");
	d->len = 64;
	d->dir = 7;
	expect_body_rejected(buf, sizeof(*d) + 64, "bad direction");
	expect_body_rejected(&c, sizeof(c) - 4, "short conn event");
	expect_body_rejected(&pi, sizeof(pi) - 1, "short proc info");
	expect_body_rejected(&h0, sizeof(h0), "type 0");
}

Test(capture_file, data_len_over_chunk_max)
{
	static uint8_t big[sizeof(struct ar_data_event) + AR_CHUNK_MAX + 1];
	struct ar_data_event *d = (void *)big;

	d->hdr.type = AR_EV_DATA;
	d->len = AR_CHUNK_MAX + 1;
	expect_body_rejected(big, sizeof(big), "len above chunk_max");
}

Test(capture_file, unknown_type_passes_through)
{
	const char *path = tmpfile_path();
	struct capture_info info = test_info();
	struct ar_event_hdr h = { .type = 99, .conn_id = 7 };
	struct capture_writer *w;
	struct capture_reader *r;
	const void *rec;
	size_t len;

	cr_assert_eq(capture_writer__open(path, &info, &w), 0);
	cr_assert_eq(capture_writer__write(w, &h, sizeof(h)), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_eq(capture_reader__open(path, &info, &r), 0);
	cr_expect_eq(capture_reader__next(r, &rec, &len), 1);
	cr_expect_eq(len, sizeof(h));
	cr_expect_eq(((const struct ar_event_hdr *)rec)->type, 99);
	cr_expect_eq(capture_reader__next(r, &rec, &len), 0);
	capture_reader__close(r);
}

Test(capture_file, writer_rejects_bad_sizes)
{
	const char *path = tmpfile_path();
	struct capture_info info = test_info();
	struct capture_writer *w;
	uint8_t small[8] = { 0 };

	cr_assert_eq(capture_writer__open(path, &info, &w), 0);
	cr_expect_eq(capture_writer__write(w, small, sizeof(small)), -EINVAL);
	cr_expect_eq(capture_writer__write(w, small, AR_CAPTURE_REC_MAX + 1), -EINVAL);
	cr_expect_eq(capture_writer__close(w), 0);
}

Test(capture_file, open_errors)
{
	struct capture_info info = test_info();
	struct capture_writer *w = (void *)1;
	struct capture_reader *r = (void *)1;

	cr_expect_eq(capture_reader__open("/nonexistent/ar.cap", &info, &r), -ENOENT);
	cr_expect_null(r);
	cr_expect_eq(capture_writer__open("/nonexistent/dir/ar.cap", &info, &w), -ENOENT);
	cr_expect_null(w);
}

Test(capture_file, truncated_at_every_offset)
{
	const char *path = tmpfile_path();
	const unsigned nrec = 6; /* one of each type */
	uint64_t bounds[8];
	long size;
	uint8_t *b;

	bounds[0] = AR_CAPTURE_HDR_LEN;
	for (unsigned i = 0; i < nrec; i++)
		bounds[i + 1] = bounds[i] + AR_CAPTURE_FRAME_LEN + make_record(i, recbuf);
	write_file(path, nrec);
	b = slurp(path, &size);
	cr_assert_eq((uint64_t)size, bounds[nrec]);

	for (long cut = 0; cut < size; cut++) {
		struct capture_reader *r;
		unsigned whole = 0;
		int rc;
		unsigned n;

		while (whole < nrec && bounds[whole + 1] <= (uint64_t)cut)
			whole++;
		spit(path, b, cut);
		n = read_all(path, &rc, &r);
		if (cut < AR_CAPTURE_HDR_LEN) {
			cr_assert_eq(rc, -EBADMSG, "cut %ld", cut);
			cr_assert(strstr(capture_reader__error(r), "offset "), "cut %ld: %s", cut,
				  capture_reader__error(r));
		} else if ((uint64_t)cut == bounds[whole]) {
			/* A cut between records is a shorter valid file. */
			cr_assert_eq(rc, 0, "cut %ld", cut);
			cr_assert_eq(n, whole, "cut %ld", cut);
		} else {
			cr_assert_eq(rc, -EBADMSG, "cut %ld", cut);
			cr_assert_eq(n, whole, "cut %ld", cut);
			cr_assert(strstr(capture_reader__error(r), "truncated"), "cut %ld: %s", cut,
				  capture_reader__error(r));
			expect_offset_msg(r, bounds[whole]);
		}
		capture_reader__close(r);
	}
	free(b);
}

Test(capture_file, truncated_message_format)
{
	const char *path = tmpfile_path();
	struct capture_reader *r;
	long size;
	uint8_t *b;
	int rc;

	write_file(path, 1); /* one empty data record: 88 bytes */
	b = slurp(path, &size);
	spit(path, b, AR_CAPTURE_HDR_LEN + AR_CAPTURE_FRAME_LEN + 40);
	read_all(path, &rc, &r);
	cr_expect_eq(rc, -EBADMSG);
	cr_expect_str_eq(capture_reader__error(r),
			 "truncated record at offset 136: need 88 bytes, file has 40");
	capture_reader__close(r);
	free(b);
}

Test(capture_file, garbage_never_crashes)
{
	const char *path = tmpfile_path();
	long size;
	uint8_t *b;

	write_file(path, 12);
	b = slurp(path, &size);
	srand(1234);
	for (int iter = 0; iter < 300; iter++) {
		uint8_t *m = malloc((size_t)size);
		struct capture_reader *r;
		int rc;

		memcpy(m, b, (size_t)size);
		/* Leave the header mostly intact so records get exercised. */
		for (int k = 0; k < 4; k++) {
			long at = 12 + rand() % (size - 12);

			m[at] = (uint8_t)rand();
		}
		spit(path, m, size);
		read_all(path, &rc, &r);
		cr_assert(rc == 0 || rc == -EBADMSG, "iter %d rc %d", iter, rc);
		if (rc)
			cr_assert(strstr(capture_reader__error(r), "offset "));
		capture_reader__close(r);
		free(m);
	}
	free(b);
}
