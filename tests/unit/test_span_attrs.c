// SPDX-License-Identifier: MIT
/* Span attributes and names: a key set twice holds its last value once,
 * however many keys the span has, and span names are joined and cut as
 * snprintf("%s %s") did. */
#include <criterion/criterion.h>
#include <stdio.h>
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
