// SPDX-License-Identifier: MIT
/* The daemon-wide buffer budget evicts the largest message bodies first
 * (proto/body_buf.h), and the exchange's span says it is incomplete. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "common/budget.h"
#include "proto/body_buf.h"
#include "proto/http_msg.h"
#include "trace/semconv.h"
#include "trace/span_exchange.h"

static uint8_t data[200 << 10];

static void set_budget(size_t max)
{
	budget__set(max);
}

static void restore_budget(void)
{
	budget__set(BUDGET_DEFAULT_BYTES);
}

TestSuite(body_buf, .fini = restore_budget);

/* A new body that does not fit frees the larger body held before it
 * (refuse-only budgets cut the newcomer instead, and fail here). */
Test(body_buf, budget_evicts_the_largest_body_first)
{
	struct body_buf big = { .cap = 1 << 20, .evictable = true };
	struct body_buf small = { .cap = 1 << 20, .evictable = true };
	struct body_buf asker = { .cap = 1 << 20, .evictable = true };
	struct budget_stats st0, st;

	set_budget(400 << 10);
	budget__stats(&st0);
	cr_assert_eq(body_buf__append(&big, data, 200 << 10), 0); /* 256 KiB */
	cr_assert_eq(body_buf__append(&small, data, 70 << 10), 0); /* 128 KiB */
	cr_assert_eq(body_buf__append(&asker, data, 100 << 10), 0,
		     "the newcomer fits once the largest body is evicted");
	cr_assert_not(asker.truncated);
	cr_assert(big.evicted && big.truncated && big.len == 0 && !big.p);
	cr_assert_not(small.evicted, "one eviction was enough; the smaller body stays");
	cr_assert_eq(small.len, 70 << 10);
	budget__stats(&st);
	cr_assert_eq(st.evicted, st0.evicted + 1);
	cr_assert_eq(st.evicted_bytes, st0.evicted_bytes + (256 << 10));
	cr_assert_eq(st.refused, st0.refused + 1, "the refusal that led to it is counted too");
	cr_assert_leq(st.used, 400 << 10);
	/* the evicted body takes no tail without its head, until reset */
	cr_assert_eq(body_buf__append(&big, "x", 1), 0);
	cr_assert_eq(big.len, 0);
	body_buf__reset(&big, 0);
	cr_assert_not(big.evicted);
	cr_assert_eq(body_buf__append(&big, "x", 1), 0);
	cr_assert_eq(big.len, 1);
	body_buf__free(&big);
	body_buf__free(&small);
	body_buf__free(&asker);
	budget__stats(&st);
	cr_assert_eq(st.used, st0.used, "every byte given back");
}

/* When the asker is itself the largest, it is the one cut; header buffers
 * (not evictable) are never freed for anyone. */
Test(body_buf, largest_asker_is_cut_and_headers_never_evicted)
{
	struct body_buf hdrs = { .cap = 1 << 20 };
	struct body_buf body = { .cap = 1 << 20, .evictable = true };
	struct budget_stats st0, st;

	set_budget(300 << 10);
	budget__stats(&st0);
	cr_assert_eq(body_buf__append(&hdrs, data, 200 << 10), 0); /* 256 KiB */
	cr_assert_eq(body_buf__append(&body, data, 100 << 10), -ENOMEM);
	cr_assert(body.truncated);
	cr_assert_not(body.evicted);
	cr_assert_eq(hdrs.len, 200 << 10, "headers are not evictable");
	budget__stats(&st);
	cr_assert_eq(st.evicted, st0.evicted);
	body_buf__free(&hdrs);
	body_buf__free(&body);
}

/* Idle bodies (between messages, memory kept) are freed without marking
 * the next message evicted. */
Test(body_buf, idle_body_is_freed_without_marking)
{
	struct body_buf idle = { .cap = 1 << 20, .evictable = true };
	struct body_buf asker = { .cap = 1 << 20, .evictable = true };

	set_budget(300 << 10);
	cr_assert_eq(body_buf__append(&idle, data, 200 << 10), 0);
	body_buf__reset(&idle, 1 << 20); /* kept, empty */
	cr_assert_eq(body_buf__append(&asker, data, 100 << 10), 0);
	cr_assert_not(idle.evicted);
	cr_assert_null(idle.p);
	cr_assert_eq(body_buf__append(&idle, "ok", 2), 0);
	cr_assert_eq(idle.len, 2);
	body_buf__free(&idle);
	body_buf__free(&asker);
}

/* The message view carries the eviction, and the span built from that
 * exchange is marked incomplete (attribute and ERROR status). */
Test(body_buf, evicted_response_marks_the_span_incomplete)
{
	struct http_msg a, b;
	struct http_exchange x = { 0 };
	struct span *s = span__new("chat m", SPAN_KIND_CLIENT), *clean;
	const struct attr *at;
	uint64_t errs = 0;

	set_budget(400 << 10);
	http_msg__init(&a, 1024, 1 << 20);
	http_msg__init(&b, 1024, 1 << 20);
	http_msg__body(&a, (const char *)data, 200 << 10, &errs);
	http_msg__body(&b, (const char *)data, 200 << 10, &errs);
	http_msg__view(&a, &x.resp);
	cr_assert(x.resp.body_evicted);
	cr_assert(x.resp.body_truncated);
	cr_assert_eq(span__mark_evicted(s, &x), 0);
	cr_assert_eq(s->status, SPAN_STATUS_ERROR);
	cr_assert_not_null(s->status_message);
	at = attrs__get(&s->attrs, TS_INCOMPLETE);
	cr_assert_not_null(at);
	cr_assert_str_eq(at->s, TS_INCOMPLETE_BUDGET);
	http_msg__view(&b, &x.resp);
	cr_assert_not(x.resp.body_evicted);
	clean = span__new("chat m", SPAN_KIND_CLIENT);
	cr_assert_eq(span__mark_evicted(clean, &x), 0);
	cr_assert_eq(clean->status, SPAN_STATUS_UNSET);
	span__free(s);
	span__free(clean);
	http_msg__free(&a);
	http_msg__free(&b);
}

/* Appends that fit go in place; the one that passes the cap keeps what
 * fits, sets truncated, and the allocation stops at cap + 1. */
Test(body_buf, appends_stop_at_the_cap)
{
	struct body_buf b = { .cap = 3000 };

	for (int i = 0; i < 4; i++)
		cr_assert_eq(body_buf__append(&b, data, 1000), 0);
	cr_expect_eq(b.len, 3000);
	cr_expect(b.truncated);
	cr_expect_eq(b.size, 3001, "grown 1024, 2048, then clamped to cap + 1");
	cr_expect_eq(b.p[3000], 0);
	cr_expect_eq(memcmp(b.p + 2000, data, 1000), 0);
	cr_assert_eq(body_buf__append(&b, data, 1), 0);
	cr_expect_eq(b.len, 3000);
	body_buf__reset(&b, 1 << 20);
	cr_expect_not(b.truncated);
	cr_expect_eq(b.len, 0);
	cr_expect_eq(b.size, 3001, "kept under keep");
	cr_assert_eq(body_buf__append(&b, "ab", 2), 0);
	cr_assert_eq(body_buf__append(&b, "", 0), 0);
	cr_expect_eq(b.len, 2);
	cr_expect_str_eq((const char *)b.p, "ab");
	body_buf__free(&b);
}

/* The short-piece copy is memcpy for every length around its cut-offs. */
Test(body_buf, short_copies_match_memcpy)
{
	uint8_t src[64], dst[64], want[64];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 37 + 1);
	for (size_t n = 0; n <= 40; n++) {
		memset(dst, 0xee, sizeof(dst));
		memset(want, 0xee, sizeof(want));
		memcpy(want + 3, src + 5, n);
		body_buf__copy(dst + 3, src + 5, n);
		cr_assert_eq(memcmp(dst, want, sizeof(dst)), 0, "length %zu", n);
	}
}
