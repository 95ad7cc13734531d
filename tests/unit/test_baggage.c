// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/baggage.h"

static struct baggage *bag;

static void bag_setup(void)
{
	bag = calloc(1, sizeof(*bag));
	cr_assert_not_null(bag);
}

static void bag_teardown(void)
{
	free(bag);
}

static enum baggage_res parse(const char *s)
{
	return baggage__parse(bag, s, strlen(s));
}

/* Asserts member i is key=value (value decoded) with props (or NULL). */
static void member_is(size_t i, const char *key, const char *value, const char *props)
{
	const struct baggage_member *m = &bag->m[i];

	cr_assert_lt(i, bag->n);
	cr_assert_eq(m->key_len, strlen(key));
	cr_assert_eq(memcmp(m->key, key, m->key_len), 0, "key %zu", i);
	cr_assert_eq(m->value_len, strlen(value));
	cr_assert_str_eq(m->value, value);
	if (!props) {
		cr_assert_null(m->props);
		return;
	}
	cr_assert_not_null(m->props);
	cr_assert_eq(m->props_len, strlen(props), "props len %zu", m->props_len);
	cr_assert_eq(memcmp(m->props, props, m->props_len), 0);
}

TestSuite(baggage_parse, .init = bag_setup, .fini = bag_teardown);

Test(baggage_parse, simple_members)
{
	cr_assert_eq(parse("userId=alice,serverNode=DF%2028,isProduction=false"),
		     BAGGAGE_OK);
	cr_assert_eq(bag->n, 3);
	member_is(0, "userId", "alice", NULL);
	member_is(1, "serverNode", "DF 28", NULL);
	member_is(2, "isProduction", "false", NULL);
}

Test(baggage_parse, ows_trimmed)
{
	cr_assert_eq(parse(" userId =   alice\t,\tserverNode = DF%2028 , k=v "), BAGGAGE_OK);
	cr_assert_eq(bag->n, 3);
	member_is(0, "userId", "alice", NULL);
	member_is(1, "serverNode", "DF 28", NULL);
	member_is(2, "k", "v", NULL);
}

Test(baggage_parse, spec_example_with_properties)
{
	cr_assert_eq(parse("key1=value1;property1;property2, key2 = value2, "
			   "key3=value3; propertyKey=propertyValue"),
		     BAGGAGE_OK);
	cr_assert_eq(bag->n, 3);
	member_is(0, "key1", "value1", "property1;property2");
	member_is(1, "key2", "value2", NULL);
	member_is(2, "key3", "value3", "propertyKey=propertyValue");
}

Test(baggage_parse, property_forms)
{
	cr_assert_eq(parse("k=v ; a ; b = c ;d=,x=y"), BAGGAGE_OK);
	cr_assert_eq(bag->n, 2);
	member_is(0, "k", "v", "a ; b = c ;d=");
	member_is(1, "x", "y", NULL);
}

Test(baggage_parse, empty_value_and_equals_in_value)
{
	cr_assert_eq(parse("a=,b=x=y==,c=%3D"), BAGGAGE_OK);
	cr_assert_eq(bag->n, 3);
	member_is(0, "a", "", NULL);
	member_is(1, "b", "x=y==", NULL);
	member_is(2, "c", "=", NULL);
}

Test(baggage_parse, percent_decoding)
{
	cr_assert_eq(parse("k=%E2%82%AC%20a+b%2c%3b%25"), BAGGAGE_OK);
	member_is(0, "k", "\xe2\x82\xac a+b,;%", NULL);
	cr_assert_eq(parse("k=%c3%a9"), BAGGAGE_OK);
	member_is(0, "k", "\xc3\xa9", NULL);
}

Test(baggage_parse, bad_percent_encoding_drops_all)
{
	cr_assert_eq(parse("ok=1,k=%"), BAGGAGE_ERR_PERCENT);
	cr_assert_eq(bag->n, 0);
	cr_assert_eq(parse("k=%2"), BAGGAGE_ERR_PERCENT);
	cr_assert_eq(parse("k=%zz"), BAGGAGE_ERR_PERCENT);
	cr_assert_eq(parse("k=%2g,x=y"), BAGGAGE_ERR_PERCENT);
	cr_assert_eq(parse("k=a%00b"), BAGGAGE_ERR_PERCENT);    /* NUL */
	cr_assert_eq(parse("k=%ff"), BAGGAGE_ERR_PERCENT);      /* not UTF-8 */
	cr_assert_eq(parse("k=%c0%af"), BAGGAGE_ERR_PERCENT);   /* overlong */
	cr_assert_eq(parse("k=%ed%a0%80"), BAGGAGE_ERR_PERCENT); /* surrogate */
	cr_assert_eq(parse("k=%e2%82"), BAGGAGE_ERR_PERCENT);   /* truncated */
}

Test(baggage_parse, malformed_drops_all)
{
	static const char *const bad[] = {
		"k",            /* no '=' */
		"=v",           /* no key */
		"k=v,",         /* trailing comma */
		",k=v",         /* leading comma */
		"a=1,,b=2",     /* empty member */
		"k=a b",        /* space in value */
		"k=\"q\"",      /* DQUOTE */
		"k=a\\b",       /* backslash */
		"k=v;",         /* empty property */
		"k=v;=x",       /* property without key */
		"k=v; p q",     /* junk after property */
		"k y=v",        /* space in key */
		"k(=v",         /* non-token key */
		"k=v\x01",      /* control char */
		"k=\xc3\xa9",   /* raw non-ASCII */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_eq(parse("a=1"), BAGGAGE_OK);
		cr_assert_eq(parse(bad[i]), BAGGAGE_ERR_MALFORMED, "case %zu: %s", i, bad[i]);
		cr_assert_eq(bag->n, 0);
	}
}

Test(baggage_parse, empty_is_empty_list)
{
	cr_assert_eq(parse(""), BAGGAGE_OK);
	cr_assert_eq(bag->n, 0);
	cr_assert_eq(parse(" \t "), BAGGAGE_OK);
	cr_assert_eq(bag->n, 0);
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

Test(baggage_parse, member_limit_64_ok_65_dropped)
{
	char buf[1024];

	members(buf, 64);
	cr_assert_eq(parse(buf), BAGGAGE_OK);
	cr_assert_eq(bag->n, 64);
	member_is(63, "k63", "v", NULL);
	members(buf, 65);
	cr_assert_eq(parse(buf), BAGGAGE_ERR_TOO_MANY);
	cr_assert_eq(bag->n, 0);
}

Test(baggage_parse, byte_limit_8192_ok_8193_dropped)
{
	static char buf[BAGGAGE_MAX_BYTES + 2];

	/* "k=" + 8190 x = 8192 bytes */
	memcpy(buf, "k=", 2);
	memset(buf + 2, 'x', BAGGAGE_MAX_BYTES - 2);
	cr_assert_eq(baggage__parse(bag, buf, BAGGAGE_MAX_BYTES), BAGGAGE_OK);
	cr_assert_eq(bag->n, 1);
	cr_assert_eq(bag->m[0].value_len, BAGGAGE_MAX_BYTES - 2);
	buf[BAGGAGE_MAX_BYTES] = 'x';
	cr_assert_eq(baggage__parse(bag, buf, BAGGAGE_MAX_BYTES + 1), BAGGAGE_ERR_TOO_LONG);
	cr_assert_eq(bag->n, 0);
}

Test(baggage_parse, get_first_match_case_sensitive)
{
	const struct baggage_member *m;

	cr_assert_eq(parse("a=1,A=2,a=3"), BAGGAGE_OK);
	m = baggage__get(bag, "a");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->value, "1");
	m = baggage__get(bag, "A");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->value, "2");
	cr_assert_null(baggage__get(bag, "b"));
	cr_assert_null(baggage__get(bag, ""));
}

static struct header_view hv(const char *name, const char *value)
{
	return (struct header_view){ name, strlen(name), value, strlen(value) };
}

TestSuite(baggage_headers, .init = bag_setup, .fini = bag_teardown);

Test(baggage_headers, absent)
{
	struct header_view h[] = { hv("host", "x") };

	cr_assert_eq(baggage__from_headers(bag, h, 1), BAGGAGE_ABSENT);
	cr_assert_eq(bag->n, 0);
}

Test(baggage_headers, multiple_headers_combine)
{
	struct header_view h[] = { hv("Baggage", "userId=alice"), hv("host", "x"),
				   hv("baggage", ""),
				   hv("BAGGAGE", "serverNode=DF%2028,isProduction=false") };

	cr_assert_eq(baggage__from_headers(bag, h, 4), BAGGAGE_OK);
	cr_assert_eq(bag->n, 3);
	member_is(0, "userId", "alice", NULL);
	member_is(1, "serverNode", "DF 28", NULL);
	member_is(2, "isProduction", "false", NULL);
}

Test(baggage_headers, limits_apply_to_combined)
{
	static char a[40 * 8], b[40 * 8];
	struct header_view h[2];
	size_t la = 0, lb = 0;

	/* 40 + 25 members = 65 */
	for (int i = 0; i < 40; i++)
		la += (size_t)sprintf(a + la, "%sa%d=v", i ? "," : "", i);
	for (int i = 0; i < 25; i++)
		lb += (size_t)sprintf(b + lb, "%sb%d=v", i ? "," : "", i);
	h[0] = hv("baggage", a);
	h[1] = hv("baggage", b);
	cr_assert_eq(baggage__from_headers(bag, h, 2), BAGGAGE_ERR_TOO_MANY);
	/* 40 + 24 = 64 */
	b[lb - strlen(",b24=v")] = 0;
	h[1] = hv("baggage", b);
	cr_assert_eq(baggage__from_headers(bag, h, 2), BAGGAGE_OK);
	cr_assert_eq(bag->n, 64);
}

Test(baggage_headers, combined_byte_limit)
{
	static char a[5000], b[5000];
	struct header_view h[2];

	/* 4096 + ',' + 4095 = 8192 */
	memcpy(a, "a=", 2);
	memset(a + 2, 'x', 4094);
	memcpy(b, "b=", 2);
	memset(b + 2, 'y', 4093);
	h[0] = hv("baggage", a);
	h[1] = hv("baggage", b);
	cr_assert_eq(baggage__from_headers(bag, h, 2), BAGGAGE_OK);
	cr_assert_eq(bag->n, 2);
	b[4095] = 'y';
	h[1] = hv("baggage", b);
	cr_assert_eq(baggage__from_headers(bag, h, 2), BAGGAGE_ERR_TOO_LONG);
	cr_assert_eq(bag->n, 0);
}

Test(baggage_headers, res_names)
{
	cr_assert_str_eq(baggage__res_str(BAGGAGE_ERR_TOO_MANY), "too_many_members");
	cr_assert_str_eq(baggage__res_str(BAGGAGE__COUNT), "unknown");
}
