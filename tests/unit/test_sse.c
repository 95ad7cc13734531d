// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sse.h"

struct rec {
	char log[16384];
	size_t len;
	int stop_after; /* abort with -EIO after this many events, 0 = never */
	int n;
};

static int rec_cb(void *ctx, const struct sse_event *ev)
{
	struct rec *r = ctx;

	cr_assert_eq(ev->data[ev->data_len], '\0');
	r->len += snprintf(r->log + r->len, sizeof(r->log) - r->len, "[%.*s|%.*s|%.*s]",
			   (int)ev->event_len, ev->event, (int)ev->id_len, ev->id,
			   (int)ev->data_len, ev->data);
	if (r->stop_after && ++r->n >= r->stop_after)
		return -5;
	return 0;
}

/* Feeds s in pieces of the given sizes (cycled), then finish. */
static void run(const char *s, size_t len, const size_t *sizes, size_t n_sizes,
		struct rec *r, struct sse_stats *st, size_t max_line, size_t max_data)
{
	struct sse *p = sse__new(max_line, max_data, rec_cb, r);
	size_t off = 0, k = 0;

	cr_assert_not_null(p);
	memset(r, 0, sizeof(*r));
	while (off < len) {
		size_t n = n_sizes ? sizes[k++ % n_sizes] : len;

		if (n > len - off)
			n = len - off;
		cr_assert_eq(sse__feed(p, s + off, n), 0);
		off += n;
	}
	sse__finish(p);
	sse__stats(p, st);
	sse__free(p);
}

static const char stream[] =
	"\xEF\xBB\xBF: hello comment\n"
	"event: message_start\n"
	"data: {\"a\":1}\n"
	"\n"
	"data:no-space\r\n"
	"data:  two spaces\r\n"
	"id: 42\r\n"
	"\r\n"
	"event: delta\r"
	"data: line1\r"
	"data: line2\r"
	"\r"
	"retry: 1000\n"
	"event: lonely\n"
	"\n"
	"data\n"
	"\n"
	"data: [DONE]\n\n";

static const char expect[] =
	"[message_start||{\"a\":1}]"
	"[message|42|no-space\n two spaces]"
	"[delta|42|line1\nline2]"
	"[message|42|]"
	"[message|42|[DONE]]";

Test(sse_parser, whole_body)
{
	struct sse_stats st;
	struct rec r;

	run(stream, sizeof(stream) - 1, NULL, 0, &r, &st, 0, 0);
	cr_assert_str_eq(r.log, expect);
	cr_assert_eq(st.events, 5);
	cr_assert_eq(st.comments, 1);
	cr_assert_eq(st.unterminated, 0);
	cr_assert_eq(st.dropped_lines + st.dropped_events, 0);
}

Test(sse_parser, byte_by_byte_is_identical)
{
	static const size_t one[] = { 1 };
	struct sse_stats st;
	struct rec r;

	/* the BOM is only recognised in one piece; start after it */
	run(stream + 3, sizeof(stream) - 4, one, 1, &r, &st, 0, 0);
	cr_assert_str_eq(r.log, expect);
	cr_assert_eq(st.events, 5);
}

Test(sse_parser, random_splits_are_identical)
{
	struct sse_stats st;
	struct rec r;
	size_t sizes[64];
	int round, i;

	srand(1234);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 64; i++)
			sizes[i] = 1 + rand() % 17;
		run(stream, sizeof(stream) - 1, sizes, 64, &r, &st, 0, 0);
		cr_assert_str_eq(r.log, expect, "round %d", round);
	}
}

Test(sse_parser, unterminated_tail_is_counted)
{
	static const char s[] = "data: a\n\ndata: b\n"; /* no blank line */
	struct sse_stats st;
	struct rec r;

	run(s, sizeof(s) - 1, NULL, 0, &r, &st, 0, 0);
	cr_assert_str_eq(r.log, "[message||a]");
	cr_assert_eq(st.unterminated, 1);

	run("data: a\n\ndata: par", 19, NULL, 0, &r, &st, 0, 0);
	cr_assert_str_eq(r.log, "[message||a]");
	cr_assert_eq(st.unterminated, 1);
}

Test(sse_parser, huge_line_is_a_counted_drop)
{
	static const size_t splits[] = { 7, 300, 1, 64 };
	char *s = malloc(4096);
	struct sse_stats st;
	struct rec r;
	size_t n = 0;

	n += sprintf(s + n, "data: ok1\n\ndata: ");
	memset(s + n, 'x', 1000);
	n += 1000;
	n += sprintf(s + n, "\n\n: c\ndata: ok2\n\n");
	run(s, n, NULL, 0, &r, &st, 128, 0);
	cr_assert_str_eq(r.log, "[message||ok1][message||ok2]");
	cr_assert_eq(st.dropped_lines, 1);
	cr_assert_eq(st.dropped_events, 1);
	run(s, n, splits, 4, &r, &st, 128, 0);
	cr_assert_str_eq(r.log, "[message||ok1][message||ok2]");
	cr_assert_eq(st.dropped_lines, 1);
	free(s);
}

Test(sse_parser, data_over_cap_is_a_counted_drop)
{
	static const char s[] = "data: 0123456789\ndata: 0123456789\n\ndata: small\n\n";
	struct sse_stats st;
	struct rec r;

	run(s, sizeof(s) - 1, NULL, 0, &r, &st, 0, 16);
	cr_assert_str_eq(r.log, "[message||small]");
	cr_assert_eq(st.dropped_events, 1);
}

Test(sse_parser, callback_error_stops_the_feed)
{
	static const char s[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	struct rec r = { .stop_after = 2 };
	struct sse *p = sse__new(0, 0, rec_cb, &r);

	cr_assert_eq(sse__feed(p, s, sizeof(s) - 1), -5);
	cr_assert_str_eq(r.log, "[message||1][message||2]");
	sse__free(p);
}

/* Garbage neither crashes the parser nor depends on how it is split: fed
 * byte by byte or in odd pieces, it yields the same events and counts as
 * fed whole. */
Test(sse_parser, garbage_does_not_crash)
{
	static const size_t ones[] = { 1 }, odd[] = { 7, 3, 64 };
	static const char *const toks[] = { "\n", "\r", "\r\n", ":", "data:", "data: x",
					    "event:", "\n\n" };
	struct sse_stats st, st_split;
	struct rec r, r_split;
	uint64_t events = 0, dropped = 0;
	char buf[3000];
	int round;
	size_t i;

	srand(99);
	for (round = 0; round < 50; round++) {
		for (i = 0; i < sizeof(buf); i++) {
			const char *tok = toks[rand() % 8];
			size_t n = strlen(tok);

			if (rand() % 6 || n > sizeof(buf) - i)
				buf[i] = (char)rand();
			else
				memcpy(buf + i, tok, n), i += n - 1;
		}
		run(buf, sizeof(buf), NULL, 0, &r, &st, 64, 256);
		run(buf, sizeof(buf), round % 2 ? ones : odd, round % 2 ? 1 : 3, &r_split,
		    &st_split, 64, 256);
		cr_assert_str_eq(r_split.log, r.log, "round %d", round);
		cr_assert_eq(memcmp(&st_split, &st, sizeof(st)), 0, "round %d stats", round);
		events += st.events;
		dropped += st.dropped_lines;
	}
	/* the input reached both dispatch and the line cap */
	cr_assert_gt(events, 0);
	cr_assert_gt(dropped, 0);
}

/* found by fuzz_split: a BOM split across feeds was kept as data, so the
 * first field name became "\xEF\xBB\xBFdata" and the event was lost */
static int count_data(void *ctx, const struct sse_event *ev)
{
	if (ev->data_len == 2 && memcmp(ev->data, "hi", 2) == 0)
		(*(int *)ctx)++;
	return 0;
}

Test(sse, bom_split_across_feeds)
{
	static const char in[] = "\xEF\xBB\xBF" "data: hi\n\n";
	int got = 0;

	for (size_t cut = 1; cut < 3; cut++) {
		struct sse *p = sse__new(0, 0, count_data, &got);

		cr_assert_not_null(p);
		sse__feed(p, in, cut);
		sse__feed(p, in + cut, sizeof(in) - 1 - cut);
		sse__finish(p);
		sse__free(p);
	}
	cr_assert_eq(got, 2);
}

/* ...and bytes that only start like a BOM are data */
Test(sse, partial_bom_is_data)
{
	struct sse_stats st;
	int got = 0;
	struct sse *p = sse__new(0, 0, count_data, &got);

	cr_assert_not_null(p);
	sse__feed(p, "\xEF", 1);
	sse__feed(p, "x\n\ndata: hi\n\n", 13);
	sse__finish(p);
	sse__stats(p, &st);
	cr_assert_eq(got, 1);
	cr_assert_eq(st.events, 1, "the \\xEFx line is an unknown field, not an event");
	sse__free(p);
}
