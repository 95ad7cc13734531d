// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "genai/eventstream.h"

/* Builds frames the way AWS encodes them, so the decoder is checked
 * against the format and not against itself. */
struct buf {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct buf *b, uint8_t v) { b->b[b->n++] = v; }
static void put16(struct buf *b, uint16_t v) { put8(b, v >> 8); put8(b, v & 0xff); }
static void put32(struct buf *b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xffff); }
static void putn(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }

static void hdr_str(struct buf *h, const char *name, const char *v)
{
	put8(h, strlen(name));
	putn(h, name, strlen(name));
	put8(h, 7);
	put16(h, strlen(v));
	putn(h, v, strlen(v));
}

/* A header of every non-string type, each of which must be skipped. */
static void hdr_all_types(struct buf *h)
{
	static const uint8_t uuid[16] = { 1, 2, 3 };
	static const struct {
		uint8_t type;
		size_t len;
	} t[] = { { 0, 0 }, { 1, 0 }, { 2, 1 }, { 3, 2 }, { 4, 4 }, { 5, 8 }, { 8, 8 }, { 9, 16 } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		put8(h, 2);
		putn(h, "h", 1);
		put8(h, '0' + i);
		put8(h, t[i].type);
		putn(h, uuid, t[i].len);
	}
	put8(h, 5);
	putn(h, "bytes", 5);
	put8(h, 6);
	put16(h, 3);
	putn(h, "\x00\x01\x02", 3);
}

static void frame(struct buf *out, const struct buf *h, const char *payload)
{
	size_t start = out->n, pl = strlen(payload);

	put32(out, 16 + h->n + pl);
	put32(out, h->n);
	put32(out, crc32(0, out->b + start, 8));
	putn(out, h->b, h->n);
	putn(out, payload, pl);
	put32(out, crc32(0, out->b + start, out->n - start));
}

static void event(struct buf *out, const char *type, const char *payload, bool all_types)
{
	struct buf h = { .n = 0 };

	if (all_types)
		hdr_all_types(&h);
	hdr_str(&h, ":event-type", type);
	hdr_str(&h, ":content-type", "application/json");
	hdr_str(&h, ":message-type", "event");
	frame(out, &h, payload);
}

struct seen {
	int n;
	char types[8][32];
	char payloads[8][128];
	char exception[32];
	uint32_t headers[8];
};

static int on_msg(void *ctx, const struct eventstream_msg *m)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 8);
	snprintf(s->types[s->n], 32, "%.*s", (int)m->event_type_len,
		 m->event_type ? m->event_type : "");
	snprintf(s->payloads[s->n], 128, "%.*s", (int)m->payload_len, (const char *)m->payload);
	if (m->exception_type)
		snprintf(s->exception, 32, "%.*s", (int)m->exception_type_len, m->exception_type);
	s->headers[s->n] = m->n_headers;
	s->n++;
	return 0;
}

static struct eventstream_stats feed_all(const struct buf *b, size_t chunk, struct seen *s,
					 size_t max)
{
	struct eventstream *p = eventstream__new(max, on_msg, s);
	struct eventstream_stats st;
	size_t off;

	cr_assert_not_null(p);
	memset(s, 0, sizeof(*s));
	for (off = 0; off < b->n; off += chunk)
		cr_assert_eq(eventstream__feed(p, b->b + off, chunk < b->n - off ? chunk : b->n - off), 0);
	eventstream__finish(p);
	eventstream__stats(p, &st);
	eventstream__free(p);
	return st;
}

static void two_events(struct buf *b)
{
	b->n = 0;
	event(b, "messageStart", "{\"role\":\"assistant\",\"p\":\"abc\"}", true);
	event(b, "messageStop", "{\"stopReason\":\"end_turn\"}", false);
}

Test(eventstream, decodes_in_any_split)
{
	struct buf b;
	size_t chunk;

	two_events(&b);
	for (chunk = 1; chunk <= b.n; chunk++) {
		struct seen s;
		struct eventstream_stats st = feed_all(&b, chunk, &s, 0);

		cr_assert_eq(st.messages, 2, "chunk %zu", chunk);
		cr_assert_eq(eventstream__errors(&st), 0);
		cr_assert_str_eq(s.types[0], "messageStart");
		cr_assert_str_eq(s.payloads[0], "{\"role\":\"assistant\",\"p\":\"abc\"}");
		cr_assert_eq(s.headers[0], 12); /* 9 skipped non-strings + 3 strings */
		cr_assert_str_eq(s.types[1], "messageStop");
		cr_assert_str_eq(s.payloads[1], "{\"stopReason\":\"end_turn\"}");
	}
}

Test(eventstream, exception_headers)
{
	struct buf b = { .n = 0 }, h = { .n = 0 };
	struct seen s;

	hdr_str(&h, ":exception-type", "throttlingException");
	hdr_str(&h, ":message-type", "exception");
	frame(&b, &h, "{\"message\":\"slow down\"}");
	feed_all(&b, 5, &s, 0);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.exception, "throttlingException");
	cr_assert_str_eq(s.types[0], "");
}

Test(eventstream, message_crc_mismatch_drops_one_frame)
{
	struct buf b;
	struct seen s;
	struct eventstream_stats st;

	two_events(&b);
	b.b[20] ^= 1; /* a header byte of the first frame */
	st = feed_all(&b, 7, &s, 0);
	cr_assert_eq(st.crc_errors, 1);
	cr_assert_eq(st.messages, 1);
	cr_assert_str_eq(s.types[0], "messageStop");
}

Test(eventstream, prelude_crc_mismatch_resyncs)
{
	struct buf b;
	struct seen s;
	struct eventstream_stats st;

	two_events(&b);
	b.b[9] ^= 0x80; /* the first prelude's CRC */
	st = feed_all(&b, 1, &s, 0);
	cr_assert_eq(st.bad_preludes, 1);
	cr_assert_eq(st.messages, 1, "the next frame is found again");
	cr_assert_str_eq(s.types[0], "messageStop");
}

Test(eventstream, truncated_frame_is_unterminated)
{
	struct buf b;
	struct seen s;
	struct eventstream_stats st;

	two_events(&b);
	b.n -= 3;
	st = feed_all(&b, 64, &s, 0);
	cr_assert_eq(st.messages, 1);
	cr_assert_eq(st.unterminated, 1);
	b.n = 5; /* not even a prelude */
	st = feed_all(&b, 64, &s, 0);
	cr_assert_eq(st.messages, 0);
	cr_assert_eq(st.unterminated, 1);
}

Test(eventstream, oversize_frame_skipped_unbuffered)
{
	struct buf b = { .n = 0 }, big = { .n = 0 };
	char payload[600];
	struct seen s;
	struct eventstream_stats st;

	memset(payload, 'x', sizeof(payload) - 1);
	payload[sizeof(payload) - 1] = '\0';
	event(&big, "contentBlockDelta", payload, false);
	memcpy(b.b, big.b, big.n);
	b.n = big.n;
	event(&b, "messageStop", "{}", false);
	st = feed_all(&b, 13, &s, 256);
	cr_assert_eq(st.oversize, 1);
	cr_assert_eq(st.messages, 1);
	cr_assert_str_eq(s.types[0], "messageStop");
}

Test(eventstream, impossible_lengths_are_bad_preludes)
{
	struct buf b = { .n = 0 };
	struct seen s;
	struct eventstream_stats st;

	/* headers longer than the frame, with a correct prelude CRC */
	put32(&b, 20);
	put32(&b, 100);
	put32(&b, crc32(0, b.b, 8));
	put32(&b, 0);
	put32(&b, 0);
	st = feed_all(&b, 1, &s, 0);
	cr_assert_eq(st.messages, 0);
	cr_assert_geq(st.bad_preludes, 1);
	/* total below the minimum */
	b.n = 0;
	put32(&b, 8);
	put32(&b, 0);
	put32(&b, crc32(0, b.b, 8));
	st = feed_all(&b, 4, &s, 0);
	cr_assert_eq(st.messages, 0);
	cr_assert_geq(st.bad_preludes, 1);
}

Test(eventstream, malformed_headers_dropped)
{
	static const uint8_t bad[][6] = {
		{ 0, 7, 0, 0 },          /* empty name */
		{ 1, 'a', 42 },          /* unknown type */
		{ 1, 'a', 7, 0, 200 },   /* string past the block */
		{ 1, 'a', 9, 1, 2, 3 },  /* uuid past the block */
	};
	static const size_t len[] = { 4, 3, 5, 6 };
	size_t i;

	for (i = 0; i < 4; i++) {
		struct buf b = { .n = 0 }, h = { .n = 0 };
		struct seen s;
		struct eventstream_stats st;

		putn(&h, bad[i], len[i]);
		frame(&b, &h, "{}");
		event(&b, "messageStop", "{}", false);
		st = feed_all(&b, 3, &s, 0);
		cr_assert_eq(st.bad_headers, 1, "case %zu", i);
		cr_assert_eq(st.messages, 1, "case %zu", i);
	}
}

static int count_msg(void *ctx, const struct eventstream_msg *m)
{
	(*(int *)ctx)++;
	return 0;
}

/* Random bytes never crash the decoder, and memory stays bounded by the
 * cap (run under ASan/valgrind in CI). */
Test(eventstream, random_garbage)
{
	uint8_t junk[8192];
	int round, n = 0;
	size_t i;

	srand(7);
	for (round = 0; round < 50; round++) {
		struct eventstream *p = eventstream__new(1024, count_msg, &n);
		struct eventstream_stats st;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = rand();
		for (i = 0; i < sizeof(junk);) {
			size_t k = 1 + rand() % 64;

			if (k > sizeof(junk) - i)
				k = sizeof(junk) - i;
			cr_assert_eq(eventstream__feed(p, junk + i, k), 0);
			i += k;
		}
		eventstream__finish(p);
		eventstream__stats(p, &st);
		cr_assert_geq(st.bad_preludes, 1);
		eventstream__free(p);
	}
}
