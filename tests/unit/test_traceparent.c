// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "trace/traceparent.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"
#define VALID "00-" TID "-" PID "-01"

static enum traceparent_res tp(const char *s, struct traceparent *out)
{
	return traceparent__parse(s, strlen(s), out);
}

static enum traceparent_res tp_only(const char *s)
{
	struct traceparent out;

	return tp(s, &out);
}

Test(traceparent_parse, valid_v00_fields)
{
	static const uint8_t want_tid[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3,
					      0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d,
					      0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t want_pid[8] = { 0x00, 0xf0, 0x67, 0xaa,
					     0x0b, 0xa9, 0x02, 0xb7 };
	struct traceparent out;

	cr_assert_eq(strlen(VALID), TRACEPARENT_LEN);
	cr_assert_eq(tp(VALID, &out), TRACEPARENT_OK);
	cr_assert_eq(out.version, 0);
	cr_assert_arr_eq(out.trace_id, want_tid, 16);
	cr_assert_arr_eq(out.parent_id, want_pid, 8);
	cr_assert_eq(out.flags, 0x01);
}

Test(traceparent_parse, flags_kept_as_sent)
{
	struct traceparent out;

	cr_assert_eq(tp("00-" TID "-" PID "-00", &out), TRACEPARENT_OK);
	cr_assert_eq(out.flags, 0x00);
	cr_assert_eq(tp("00-" TID "-" PID "-03", &out), TRACEPARENT_OK);
	cr_assert_eq(out.flags, 0x03);
	cr_assert_eq(tp("00-" TID "-" PID "-ff", &out), TRACEPARENT_OK);
	cr_assert_eq(out.flags, 0xff);
}

Test(traceparent_parse, ows_around_value_ignored)
{
	cr_assert_eq(tp_only(" \t" VALID "\t "), TRACEPARENT_OK);
}

Test(traceparent_parse, bad_version)
{
	cr_assert_eq(tp_only(""), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("0"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("00"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("0-" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("000-" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only(".0-" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("0.-" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("0g-" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("0A-" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION);
	cr_assert_eq(tp_only("00_" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION);
}

Test(traceparent_parse, version_ff_invalid)
{
	cr_assert_eq(tp_only("ff-" TID "-" PID "-01"), TRACEPARENT_ERR_VERSION_FF);
}

Test(traceparent_parse, zero_ids_invalid)
{
	cr_assert_eq(tp_only("00-00000000000000000000000000000000-" PID "-01"),
		     TRACEPARENT_ERR_ZERO_TRACE_ID);
	cr_assert_eq(tp_only("00-" TID "-0000000000000000-01"),
		     TRACEPARENT_ERR_ZERO_PARENT_ID);
	/* a future version does not excuse zero ids */
	cr_assert_eq(tp_only("cc-00000000000000000000000000000000-" PID "-01-x"),
		     TRACEPARENT_ERR_ZERO_TRACE_ID);
}

Test(traceparent_parse, uppercase_invalid)
{
	cr_assert_eq(tp_only("00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01"),
		     TRACEPARENT_ERR_UPPERCASE);
	cr_assert_eq(tp_only("00-" TID "-00F067AA0BA902B7-01"),
		     TRACEPARENT_ERR_UPPERCASE);
	cr_assert_eq(tp_only("00-" TID "-" PID "-0A"), TRACEPARENT_ERR_UPPERCASE);
}

Test(traceparent_parse, not_hex_invalid)
{
	cr_assert_eq(tp_only("00-4bf92f3577b34da6a3ce929d0e0e473g-" PID "-01"),
		     TRACEPARENT_ERR_NOT_HEX);
	cr_assert_eq(tp_only("00-" TID "-00f067aa0ba902b.-01"),
		     TRACEPARENT_ERR_NOT_HEX);
	cr_assert_eq(tp_only("00-" TID "-" PID "-0x"), TRACEPARENT_ERR_NOT_HEX);
	cr_assert_eq(tp_only("00-" TID "-" PID "-\x80" "1"), TRACEPARENT_ERR_NOT_HEX);
}

Test(traceparent_parse, extra_data_on_00_invalid)
{
	cr_assert_eq(tp_only(VALID "-"), TRACEPARENT_ERR_EXTRA_DATA);
	cr_assert_eq(tp_only(VALID "-what-the-future-will-be-like"),
		     TRACEPARENT_ERR_EXTRA_DATA);
	cr_assert_eq(tp_only(VALID ".x"), TRACEPARENT_ERR_EXTRA_DATA);
	cr_assert_eq(tp_only(VALID " x"), TRACEPARENT_ERR_EXTRA_DATA);
}

Test(traceparent_parse, future_version_extra_data_allowed)
{
	struct traceparent out;

	cr_assert_eq(tp("cc-" TID "-" PID "-01-what-the-future-will-be-like", &out),
		     TRACEPARENT_OK);
	cr_assert_eq(out.version, 0xcc);
	cr_assert_eq(out.flags, 0x01);
	cr_assert_eq(out.trace_id[0], 0x4b);
	cr_assert_eq(tp_only("01-" TID "-" PID "-01"), TRACEPARENT_OK);
	cr_assert_eq(tp_only("cc-" TID "-" PID "-01-"), TRACEPARENT_OK);
}

Test(traceparent_parse, future_version_needs_dash_after_flags)
{
	cr_assert_eq(tp_only("cc-" TID "-" PID "-01.what-the-future-will-be-like"),
		     TRACEPARENT_ERR_SEPARATOR);
	cr_assert_eq(tp_only("cc-" TID "-" PID "-012"), TRACEPARENT_ERR_LENGTH);
	/* shorter than 55 chars: never parsed */
	cr_assert_eq(tp_only("cc-" TID "-" PID "-1"), TRACEPARENT_ERR_LENGTH);
}

Test(traceparent_parse, wrong_lengths)
{
	/* trace-id 31 and 33 chars */
	cr_assert_eq(tp_only("00-4bf92f3577b34da6a3ce929d0e0e473-" PID "-01"),
		     TRACEPARENT_ERR_LENGTH);
	cr_assert_eq(tp_only("00-4bf92f3577b34da6a3ce929d0e0e47360-" PID "-01"),
		     TRACEPARENT_ERR_LENGTH);
	/* parent-id 15 and 17 chars */
	cr_assert_eq(tp_only("00-" TID "-00f067aa0ba902b-01"), TRACEPARENT_ERR_LENGTH);
	cr_assert_eq(tp_only("00-" TID "-00f067aa0ba902b70-01"), TRACEPARENT_ERR_LENGTH);
	/* flags 1 and 3 chars */
	cr_assert_eq(tp_only("00-" TID "-" PID "-1"), TRACEPARENT_ERR_LENGTH);
	cr_assert_eq(tp_only("00-" TID "-" PID "-001"), TRACEPARENT_ERR_LENGTH);
	/* truncated */
	cr_assert_eq(tp_only("00-" TID "-" PID), TRACEPARENT_ERR_LENGTH);
	cr_assert_eq(tp_only("00-" TID "-" PID "-"), TRACEPARENT_ERR_LENGTH);
	cr_assert_eq(tp_only("00-" TID), TRACEPARENT_ERR_LENGTH);
	cr_assert_eq(tp_only("00-"), TRACEPARENT_ERR_LENGTH);
}

Test(traceparent_parse, bad_separators)
{
	cr_assert_eq(tp_only("00-" TID "." PID "-01"), TRACEPARENT_ERR_SEPARATOR);
	cr_assert_eq(tp_only("00-" TID "-" PID "_01"), TRACEPARENT_ERR_SEPARATOR);
	cr_assert_eq(tp_only("00-" TID " " PID "-01"), TRACEPARENT_ERR_SEPARATOR);
}

Test(traceparent_parse, no_nul_dependency)
{
	/* the value is length-delimited: bytes past n are never read */
	char buf[80];

	memcpy(buf, VALID "-garbage", sizeof(VALID "-garbage"));
	cr_assert_eq(traceparent__parse(buf, TRACEPARENT_LEN, &(struct traceparent){ 0 }),
		     TRACEPARENT_OK);
}

static struct header_view hv(const char *name, const char *value)
{
	return (struct header_view){ name, strlen(name), value, strlen(value) };
}

Test(traceparent_headers, absent_found_and_case_insensitive)
{
	struct header_view h[] = { hv("Host", "x"), hv("TraceParent", VALID) };
	struct traceparent out;

	cr_assert_eq(traceparent__from_headers(h, 1, &out), TRACEPARENT_ABSENT);
	cr_assert_eq(traceparent__from_headers(h, 2, &out), TRACEPARENT_OK);
	cr_assert_eq(out.parent_id[7], 0xb7);
	cr_assert_eq(traceparent__from_headers(NULL, 0, &out), TRACEPARENT_ABSENT);
}

Test(traceparent_headers, duplicate_invalid)
{
	struct header_view h[] = { hv("traceparent", VALID), hv("x", "y"),
				   hv("TRACEPARENT", VALID) };
	struct traceparent out;

	cr_assert_eq(traceparent__from_headers(h, 3, &out), TRACEPARENT_ERR_DUPLICATE);
}

Test(traceparent_headers, res_names)
{
	cr_assert_str_eq(traceparent__res_str(TRACEPARENT_ERR_VERSION_FF), "version_ff");
	cr_assert_str_eq(traceparent__res_str(TRACEPARENT__COUNT), "unknown");
	cr_assert_str_eq(tracestate__res_str(TRACESTATE_ERR_DUP_KEY), "duplicate_key");
	for (int i = 0; i < TRACEPARENT__COUNT; i++)
		cr_assert_not_null(traceparent__res_str(i));
}

static enum tracestate_res ts(const char *s)
{
	return tracestate__validate(s, strlen(s));
}

Test(traceparent_tracestate, valid_lists)
{
	cr_assert_eq(ts(""), TRACESTATE_OK);
	cr_assert_eq(ts("rojo=00f067aa0ba902b7"), TRACESTATE_OK);
	cr_assert_eq(ts("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), TRACESTATE_OK);
	cr_assert_eq(ts("foo=1 \t , \t bar=2"), TRACESTATE_OK);
	cr_assert_eq(ts(",,foo=1, ,bar=2,"), TRACESTATE_OK);
	cr_assert_eq(ts("   "), TRACESTATE_OK);
	cr_assert_eq(ts("foo= leading space kept"), TRACESTATE_OK);
	cr_assert_eq(ts("1foo=x"), TRACESTATE_OK);
	cr_assert_eq(ts("tenant@system=x,a-b_c*d/e=!~"), TRACESTATE_OK);
}

Test(traceparent_tracestate, bad_keys)
{
	cr_assert_eq(ts("Foo=1"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("=1"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("_foo=1"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("fo o=1"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("foo@=1,bar=2"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("@foo=1,bar=2"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("foo@@bar=1,bar=2"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("foo@bar@baz=1,bar=2"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("foo@1bar=1"), TRACESTATE_ERR_KEY);
	cr_assert_eq(ts("foo@abcdefghijklmno=1"), TRACESTATE_ERR_KEY); /* system 15 */
	cr_assert_eq(ts("foo@abcdefghijklmn=1"), TRACESTATE_OK);       /* system 14 */
}

Test(traceparent_tracestate, bad_values)
{
	cr_assert_eq(ts("foo"), TRACESTATE_ERR_VALUE);
	cr_assert_eq(ts("foo="), TRACESTATE_ERR_VALUE);
	cr_assert_eq(ts("foo=   "), TRACESTATE_ERR_VALUE);
	cr_assert_eq(ts("foo=a=b"), TRACESTATE_ERR_VALUE);
	cr_assert_eq(ts("foo=a\tb"), TRACESTATE_ERR_VALUE);
	cr_assert_eq(ts("foo=\x7f"), TRACESTATE_ERR_VALUE);
}

Test(traceparent_tracestate, duplicate_keys)
{
	cr_assert_eq(ts("foo=1,foo=1"), TRACESTATE_ERR_DUP_KEY);
	cr_assert_eq(ts("foo=1,bar=2,foo=3"), TRACESTATE_ERR_DUP_KEY);
}

Test(traceparent_tracestate, key_and_value_length_limits)
{
	char buf[600];

	/* key 256 chars OK, 257 not */
	memset(buf, 'k', 256);
	strcpy(buf + 256, "=v");
	cr_assert_eq(ts(buf), TRACESTATE_OK);
	memset(buf, 'k', 257);
	strcpy(buf + 257, "=v");
	cr_assert_eq(ts(buf), TRACESTATE_ERR_KEY);
	/* value 256 chars OK, 257 not */
	strcpy(buf, "k=");
	memset(buf + 2, 'v', 256);
	buf[258] = 0;
	cr_assert_eq(ts(buf), TRACESTATE_OK);
	memset(buf + 2, 'v', 257);
	buf[259] = 0;
	cr_assert_eq(ts(buf), TRACESTATE_ERR_VALUE);
}

/* n members "k0=v,k1=v,..." */
static size_t members(char *buf, int n)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "%sk%d=v", i ? "," : "", i);
	return len;
}

Test(traceparent_tracestate, member_count_limit)
{
	char buf[600];

	members(buf, 32);
	cr_assert_eq(ts(buf), TRACESTATE_OK);
	members(buf, 33);
	cr_assert_eq(ts(buf), TRACESTATE_ERR_TOO_MANY);
}

Test(traceparent_tracestate, total_length_limit)
{
	char buf[600];

	/* one member: "k=" + 254 'v' ... build 512 exactly with two members */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "a=");
	memset(buf + 2, 'x', 254);          /* 256 */
	strcat(buf, ",b=");                /* 259 */
	memset(buf + 259, 'y', 253);        /* 512 */
	cr_assert_eq(strlen(buf), 512);
	cr_assert_eq(ts(buf), TRACESTATE_OK);
	buf[512] = ' ';                     /* 513, even if only OWS */
	cr_assert_eq(ts(buf), TRACESTATE_ERR_TOO_LONG);
}
