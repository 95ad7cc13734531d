// SPDX-License-Identifier: MIT
/* Span attributes and names: a key set twice holds its last value once,
 * however many keys the span has, and span names are joined and cut as
 * snprintf("%s %s") did. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/span.h"

Test(span_attrs, a_key_set_again_is_replaced_among_many)
{
	struct span *s = span__new("chat m", SPAN_KIND_CLIENT);
	char key[32];
	int i, round;

	cr_assert_not_null(s);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 300; i++) {
			snprintf(key, sizeof(key), "k.%d", i);
			cr_assert_eq(span__set_int(s, key, round * 1000 + i), 0);
		}
	cr_assert_eq(s->attrs.n, 300);
	for (i = 0; i < 300; i++) {
		const struct attr *a;

		snprintf(key, sizeof(key), "k.%d", i);
		a = span__get(s, key);
		cr_assert_not_null(a, "%s", key);
		cr_assert_eq(a->i, 2000 + i);
	}
	cr_assert_null(span__get(s, "k.300"));
	/* a cleared list forgets its keys */
	attrs__clear(&s->attrs);
	cr_assert_null(span__get(s, "k.1"));
	cr_assert_eq(span__set_str(s, "k.1", "again"), 0);
	cr_assert_eq(s->attrs.n, 1);
	span__free(s);
}

Test(span_attrs, a_copied_list_finds_its_keys)
{
	struct attr_list a = { 0 }, b = { 0 };

	cr_assert_eq(attrs__set_str(&a, "gen_ai.request.model", "m"), 0);
	cr_assert_eq(attrs__set_int(&a, "gen_ai.usage.input_tokens", 3), 0);
	cr_assert_eq(attrs__copy(&b, &a), 0);
	cr_assert_eq(attrs__set_int(&b, "gen_ai.usage.input_tokens", 4), 0);
	cr_assert_eq(b.n, 2);
	cr_assert_eq(attrs__get(&b, "gen_ai.usage.input_tokens")->i, 4);
	attrs__clear(&a);
	attrs__clear(&b);
}

Test(span_attrs, names_join_and_cut_as_snprintf)
{
	static const char *const ops[] = { "chat", "", "execute_tool" };
	static const char *const targets[] = { "gpt-4o-mini", "", NULL, "a much longer target" };
	char got[16], want[16];
	size_t size, o, t;

	for (size = 1; size <= sizeof(got); size++)
		for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
			for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
				if (targets[t])
					snprintf(want, size, "%s %s", ops[o], targets[t]);
				else
					snprintf(want, size, "%s", ops[o]);
				span__join_name(got, size, ops[o], targets[t]);
				cr_assert_str_eq(got, want, "size %zu", size);
			}
}

/* span__bytes as it was computed by walking every key and value: the
 * running count must match it whenever no value was replaced. */
static size_t walked_bytes(const struct attr_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct attr *a = &l->v[i];

		n += sizeof(*a) + strlen(a->key);
		if (a->type == ATTR_STR)
			n += strlen(a->s);
		else if (a->type == ATTR_STR_ARRAY)
			for (size_t j = 0; j < a->arr.n; j++)
				n += strlen(a->arr.v[j]) + sizeof(char *);
	}
	return n;
}

static size_t walked_span_bytes(const struct span *s)
{
	size_t n = sizeof(*s) + strlen(s->name) + walked_bytes(&s->attrs);

	for (size_t e = 0; e < s->n_events; e++)
		n += sizeof(s->events[e]) + strlen(s->events[e].name) +
		     walked_bytes(&s->events[e].attrs);
	return n;
}

Test(span_attrs, many_values_outgrow_the_first_block)
{
	struct span *s = span__new("GET", SPAN_KIND_CLIENT);
	char key[32], val[160];
	int i;

	cr_assert_not_null(s);
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "key.number.%d", i);
		memset(val, 'a' + i % 26, sizeof(val) - 1);
		val[i % (sizeof(val) - 1)] = '\0';
		cr_assert_eq(span__set_str(s, key, val), 0);
		if (i % 3 == 0)
			cr_assert_eq(span__set_int(s, "int.again", i), 0);
	}
	cr_assert_eq(s->attrs.n, 401);
	for (i = 0; i < 400; i++) {
		const struct attr *a;

		snprintf(key, sizeof(key), "key.number.%d", i);
		a = span__get(s, key);
		cr_assert_not_null(a, "%s", key);
		cr_assert_eq(a->type, ATTR_STR);
		cr_assert_eq(strlen(a->s), (size_t)(i % (sizeof(val) - 1)), "%s", key);
		cr_assert(!a->s[0] || a->s[0] == 'a' + i % 26);
	}
	cr_assert_eq(span__get(s, "int.again")->i, 399);
	cr_assert_eq(span__bytes(s), walked_span_bytes(s));
	span__free(s);
}

Test(span_attrs, a_value_bigger_than_a_block_and_small_ones_after_it)
{
	struct span *s = span__new("GET", SPAN_KIND_CLIENT);
	size_t big = 40000;
	char *v = malloc(big + 1);

	cr_assert_not_null(s);
	cr_assert_not_null(v);
	memset(v, 'x', big);
	v[big] = '\0';
	attrs__set_value_max(big);
	cr_assert_eq(span__set_str(s, "big", v), 0);
	for (int i = 0; i < 50; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		cr_assert_eq(span__set_str(s, key, "small"), 0);
	}
	attrs__set_value_max(ATTR_VALUE_MAX_DEFAULT);
	cr_assert_eq(strlen(span__get(s, "big")->s), big);
	cr_assert_str_eq(span__get(s, "k49")->s, "small");
	cr_assert_eq(s->attrs.truncated, 0);
	cr_assert_eq(span__bytes(s), walked_span_bytes(s));
	free(v);
	span__free(s);
}

Test(span_attrs, a_replaced_value_is_counted_until_the_list_repacks)
{
	struct span *s = span__new("GET", SPAN_KIND_CLIENT);
	static const char *const arr[] = { "stop", "length" };
	size_t dead = 0;
	char val[1001];

	cr_assert_not_null(s);
	cr_assert_eq(span__set_str(s, "a", "first"), 0);
	cr_assert_eq(span__set_str(s, "b", "kept"), 0);
	cr_assert_eq(span__bytes(s), walked_span_bytes(s));
	/* longer, then another type, then an array, then a string again */
	cr_assert_eq(span__set_str(s, "a", "a longer second value"), 0);
	dead += sizeof("first");
	cr_assert_str_eq(span__get(s, "a")->s, "a longer second value");
	cr_assert_eq(span__bytes(s), walked_span_bytes(s) + dead);
	cr_assert_eq(span__set_int(s, "a", 7), 0);
	dead += sizeof("a longer second value");
	cr_assert_eq(span__get(s, "a")->i, 7);
	cr_assert_eq(span__bytes(s), walked_span_bytes(s) + dead);
	cr_assert_eq(attrs__set_str_array(&s->attrs, "a", arr, 2), 0);
	cr_assert_eq(span__get(s, "a")->arr.n, 2);
	cr_assert_str_eq(span__get(s, "a")->arr.v[1], "length");
	cr_assert_eq(span__bytes(s), walked_span_bytes(s) + dead);
	cr_assert_eq(span__set_str(s, "a", "x"), 0);
	dead += 2 * sizeof(char *) + sizeof("stop") + sizeof("length");
	cr_assert_eq(span__bytes(s), walked_span_bytes(s) + dead);
	cr_assert_eq(s->attrs.n, 2);

	/* replacing one key over and over stays bounded: the list repacks */
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	for (int i = 0; i < 1000; i++) {
		val[0] = (char)('A' + i % 26);
		cr_assert_eq(span__set_str(s, "a", val), 0);
		cr_assert_leq(span__bytes(s), walked_span_bytes(s) + 80000);
	}
	cr_assert_eq(span__get(s, "a")->s[0], 'A' + 999 % 26);
	cr_assert_eq(strlen(span__get(s, "a")->s), sizeof(val) - 1);
	cr_assert_str_eq(span__get(s, "b")->s, "kept");
	cr_assert_eq(s->attrs.n, 2);
	span__free(s);
}

Test(span_attrs, values_are_capped_on_a_character_boundary)
{
	struct attr_list l = { 0 };
	char v[200];
	size_t max = 64;

	attrs__set_value_max(max);
	/* a 3-byte character straddles the cap */
	memset(v, 'a', sizeof(v));
	memcpy(v + max - 1, "\xe2\x82\xac", 3);
	v[sizeof(v) - 1] = '\0';
	cr_assert_eq(attrs__set_str(&l, "cut", v), 0);
	cr_assert_eq(strlen(attrs__get(&l, "cut")->s), max - 1);
	cr_assert_eq(l.truncated, 1);
	/* a value ends at a NUL before its length, as strndup ended it */
	cr_assert_eq(attrs__set_strn(&l, "nul", "ab\0cd", 5), 0);
	cr_assert_str_eq(attrs__get(&l, "nul")->s, "ab");
	cr_assert_eq(attrs__set_strn(&l, "part", "abcdef", 3), 0);
	cr_assert_str_eq(attrs__get(&l, "part")->s, "abc");
	cr_assert_eq(attrs__set_strn(&l, "long", v, 100), 0);
	cr_assert_eq(strlen(attrs__get(&l, "long")->s), max - 1);
	cr_assert_eq(l.truncated, 2);
	cr_assert_eq(attrs__set_str(&l, "fits", v + sizeof(v) - 1 - max), 0);
	cr_assert_eq(strlen(attrs__get(&l, "fits")->s), max);
	cr_assert_eq(l.truncated, 2);
	attrs__set_value_max(ATTR_VALUE_MAX_DEFAULT);
	cr_assert_eq(l.bytes, walked_bytes(&l));
	attrs__clear(&l);
}

Test(span_attrs, events_lists_and_names_are_counted_and_freed)
{
	struct span *s = span__new("chat m", SPAN_KIND_CLIENT);
	static const char *const none[1] = { NULL };
	struct span_event *e;
	struct attr_list copy = { 0 };

	cr_assert_not_null(s);
	e = span__add_event(s, "gen_ai.choice", 5);
	cr_assert_not_null(e);
	cr_assert_eq(attrs__set_str(&e->attrs, "gen_ai.output", "hello"), 0);
	cr_assert_eq(attrs__set_str_array(&e->attrs, "empty", none, 0), 0);
	cr_assert_eq(attrs__get(&e->attrs, "empty")->arr.n, 0);
	cr_assert_not_null(span__add_event(s, "second", 6));
	cr_assert_not_null(span__add_link(s, (const uint8_t[16]){ 1 }, (const uint8_t[8]){ 2 }));
	cr_assert_eq(attrs__set_bool(&s->links[0].attrs, "linked", true), 0);
	cr_assert_eq(span__set_double(s, "d", 0.5), 0);
	cr_assert_eq(span__bytes(s), walked_span_bytes(s));

	/* a longer name than the one the span was made with, then a shorter */
	cr_assert_eq(span__set_name(s, "a much longer span name than before"), 0);
	cr_assert_str_eq(s->name, "a much longer span name than before");
	cr_assert_eq(span__set_name(s, "x"), 0);
	cr_assert_str_eq(s->name, "x");
	cr_assert_eq(span__bytes(s), walked_span_bytes(s));

	/* attrs__put takes no strings: it would not copy them */
	cr_assert_eq(attrs__put(&copy, "s", 1, &(struct attr){ .type = ATTR_STR, .s = "x" }),
		     -EINVAL);
	cr_assert_eq(copy.n, 0);
	cr_assert_eq(attrs__copy(&copy, &e->attrs), 0);
	cr_assert_str_eq(attrs__get(&copy, "gen_ai.output")->s, "hello");
	cr_assert_eq(copy.bytes, walked_bytes(&copy));
	attrs__clear(&copy);
	attrs__clear(&copy);
	cr_assert_null(attrs__get(&copy, "gen_ai.output"));
	span__free(s);
}
