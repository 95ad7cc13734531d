// SPDX-License-Identifier: MIT
/* One HTTP message through the http_msg API as http1 and http2 drive it:
 * names in pieces, names ended by field_done or by their value, derived
 * fields, and header views that follow the raw buffer when it moves. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto/http_msg.h"

static void put(struct http_msg *m, const char *name, const char *value, bool field_done)
{
	cr_assert_eq(http_msg__field(m, name, strlen(name)), 0);
	if (field_done)
		cr_assert_eq(http_msg__field_done(m), 0);
	if (*value)
		cr_assert_eq(http_msg__value(m, value, strlen(value)), 0);
	cr_assert_eq(http_msg__value_done(m), 0);
}

static bool view_is(const struct header_view *v, const char *name, const char *value)
{
	return v->name_len == strlen(name) && !memcmp(v->name, name, v->name_len) &&
	       v->value_len == strlen(value) && !memcmp(v->value, value, v->value_len);
}

/* llhttp hands a name over in pieces when it straddles reads; it is told
 * apart once whole, whether field_done (http2) or the value (http1) ends it. */
Test(http_msg, names_in_pieces_are_classified_whole)
{
	struct http_msg m;
	struct http_message out;
	uint64_t errs = 0;

	for (int fd = 0; fd < 2; fd++) {
		http_msg__init(&m, 4096, 4096);
		cr_assert_eq(http_msg__field(&m, "Ho", 2), 0);
		cr_assert_eq(http_msg__field(&m, "ST", 2), 0);
		if (fd)
			cr_assert_eq(http_msg__field_done(&m), 0);
		cr_assert_eq(http_msg__value(&m, " exa", 4), 0);
		cr_assert_eq(http_msg__value(&m, "mple.com\t", 9), 0);
		cr_assert_eq(http_msg__value_done(&m), 0);
		put(&m, "Content-", "x", fd);
		put(&m, "content-type", "Text/Plain;charset=x", fd);
		cr_assert_eq(http_msg__headers_done(&m, &errs), 0);
		cr_expect_str_eq(http_msg__str(&m, m.host_off), "example.com");
		cr_expect_str_eq(http_msg__str(&m, m.ctype_off), "text/plain");
		http_msg__view(&m, &out);
		cr_assert_eq(out.n_headers, 3);
		cr_expect(view_is(&out.headers[0], "HoST", "example.com"));
		cr_expect(view_is(&out.headers[1], "Content-", "x"));
		cr_expect_str_eq(out.content_type, "text/plain");
		http_msg__free(&m);
	}
	cr_expect_eq(errs, 0);
}

/* A view taken, then more headers that grow raw past its first
 * allocation: the next view points into the new buffer (ASan would catch
 * a stale one), and the one after reuses it. */
Test(http_msg, views_follow_raw_when_it_moves)
{
	struct http_msg m;
	struct http_message a, b, c;
	char name[32], value[64];

	http_msg__init(&m, 1 << 16, 4096);
	put(&m, "First", "one", false);
	http_msg__view(&m, &a);
	cr_assert_eq(a.n_headers, 1);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "X-Header-%d", i);
		snprintf(value, sizeof(value), "value number %d padded out a little", i);
		put(&m, name, value, false);
	}
	http_msg__view(&m, &b);
	cr_assert_eq(b.n_headers, 201);
	cr_expect(view_is(&b.headers[0], "First", "one"));
	cr_expect(view_is(&b.headers[200], "X-Header-199",
			  "value number 199 padded out a little"));
	http_msg__view(&m, &c);
	cr_expect_eq(c.headers, b.headers, "unchanged message: the views are reused");
	/* a value grown after a view shows in full */
	cr_assert_eq(http_msg__field(&m, "Last", 4), 0);
	cr_assert_eq(http_msg__value(&m, "a", 1), 0);
	http_msg__view(&m, &c);
	cr_assert_eq(http_msg__value(&m, "bc ", 3), 0);
	cr_assert_eq(http_msg__value_done(&m), 0);
	http_msg__view(&m, &c);
	cr_assert_eq(c.n_headers, 202);
	cr_expect(view_is(&c.headers[201], "Last", "abc"));
	http_msg__reset(&m, 0);
	http_msg__view(&m, &c);
	cr_expect_eq(c.n_headers, 0);
	cr_expect_null(c.headers);
	http_msg__free(&m);
}

/* The header cap counts name and value bytes only; the piece that passes
 * it is refused with -E2BIG. */
Test(http_msg, header_cap_counts_wire_bytes)
{
	struct http_msg m;

	http_msg__init(&m, 10, 4096);
	cr_assert_eq(http_msg__field(&m, "Abcd", 4), 0);
	cr_assert_eq(http_msg__value(&m, "efghij", 6), 0);
	cr_assert_eq(http_msg__value_done(&m), 0);
	cr_expect_eq(http_msg__field(&m, "k", 1), -E2BIG);
	http_msg__free(&m);
}

/* HTTP/2 keeps adding headers after one is refused at the cap: no header
 * may then claim bytes raw does not hold (it did, and views read past the
 * buffer), and a header whose name was refused is not kept at all. */
Test(http_msg, refused_pieces_are_not_claimed)
{
	static char big[200];
	struct http_msg m;
	struct http_message out;

	memset(big, 'v', sizeof(big));
	http_msg__init(&m, 64, 4096);
	put(&m, "Host", "h", true);
	cr_assert_eq(http_msg__field(&m, "X-Big", 5), 0);
	cr_assert_eq(http_msg__field_done(&m), 0);
	cr_expect_eq(http_msg__value(&m, big, sizeof(big)), -E2BIG);
	cr_expect_eq(http_msg__field(&m, "Content-Type", 12), -E2BIG);
	cr_expect_eq(http_msg__field(&m, "More", 4), -E2BIG);
	http_msg__view(&m, &out);
	cr_assert_eq(out.n_headers, 2);
	cr_expect(view_is(&out.headers[0], "Host", "h"));
	cr_expect(view_is(&out.headers[1], "X-Big", ""));
	http_msg__free(&m);
}
