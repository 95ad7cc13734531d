// SPDX-License-Identifier: MIT
/* The JSON structure hash: values and key order do not matter, shape does. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/schema_hash.h"

static uint64_t h(const char *json)
{
	uint64_t v = 0;
	int err = schema_hash__text(json, strlen(json), &v);

	cr_assert_eq(err, 0, "%s: %d", json, err);
	return v;
}

#define SAME(a, b) cr_assert_eq(h(a), h(b), "%s vs %s", a, b)
#define DIFF(a, b) cr_assert_neq(h(a), h(b), "%s vs %s", a, b)

static const char *const base =
	"{\"data\":{\"location\":{\"name\":\"Paris\"},\"temperature\":{\"value\":12,\"unit\":\"C\"},"
	"\"summary\":\"sunny\"},\"meta\":{\"request_id\":\"wx2-4\",\"version\":2}}";

Test(schema_hash, other_values_same_hash)
{
	SAME(base, "{\"data\":{\"location\":{\"name\":\"Oslo\"},\"temperature\":{\"value\":-3.5,"
		   "\"unit\":\"F\"},\"summary\":\"snow\"},\"meta\":{\"request_id\":\"x\",\"version\":7}}");
}

Test(schema_hash, key_order_and_whitespace_do_not_matter)
{
	SAME(base, "{ \"meta\" : {\"version\":2, \"request_id\":\"wx2-4\"},\n \"data\":{\"summary\":\"s\","
		   "\"temperature\":{\"unit\":\"C\",\"value\":1},\"location\":{\"name\":\"P\"}}}");
}

Test(schema_hash, renamed_key_differs)
{
	DIFF(base, "{\"data\":{\"location\":{\"city\":\"Paris\"},\"temperature\":{\"value\":12,"
		   "\"unit\":\"C\"},\"summary\":\"sunny\"},\"meta\":{\"request_id\":\"wx2-4\",\"version\":2}}");
}

Test(schema_hash, added_nested_key_differs)
{
	DIFF(base, "{\"data\":{\"location\":{\"name\":\"Paris\",\"country\":\"FR\"},\"temperature\":"
		   "{\"value\":12,\"unit\":\"C\"},\"summary\":\"sunny\"},\"meta\":{\"request_id\":\"wx2-4\","
		   "\"version\":2}}");
}

Test(schema_hash, moved_key_differs)
{
	/* same key names, one level up */
	DIFF("{\"a\":{\"b\":1},\"c\":2}", "{\"a\":{},\"b\":1,\"c\":2}");
	DIFF("{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":{\"b\":1},\"c\":1}");
}

Test(schema_hash, changed_type_differs)
{
	DIFF("{\"v\":12}", "{\"v\":\"12\"}");
	DIFF("{\"v\":true}", "{\"v\":1}");
	DIFF("{\"v\":null}", "{\"v\":{}}");
	DIFF("{\"v\":{}}", "{\"v\":[]}");
	DIFF("{\"v\":[1]}", "{\"v\":[\"1\"]}");
}

Test(schema_hash, integers_and_reals_are_one_number_type)
{
	SAME("{\"v\":12}", "{\"v\":12.5}");
	SAME("{\"v\":1e3}", "{\"v\":-7}");
	SAME("{\"v\":123456789012345678901234567890}", "{\"v\":1}");
	SAME("{\"v\":true}", "{\"v\":false}");
}

Test(schema_hash, arrays_collapse_to_one_element_path)
{
	SAME("{\"items\":[{\"id\":1},{\"id\":2},{\"id\":3}]}", "{\"items\":[{\"id\":9}]}");
	SAME("[1,2,3]", "[4]");
	SAME("[[1],[2,3]]", "[[9]]");
	/* elements of different shapes give the union of their shapes */
	SAME("[{\"a\":1},{\"b\":\"x\"}]", "[{\"b\":\"y\"},{\"a\":2},{\"a\":3}]");
	SAME("[{\"a\":1},{\"b\":\"x\"}]", "[{\"a\":1,\"b\":\"x\"}]");
	/* documented: an empty array has no element shape */
	DIFF("{\"items\":[]}", "{\"items\":[1]}");
	DIFF("[[1]]", "[1]");
}

Test(schema_hash, keys_that_look_like_paths_do_not_collide)
{
	DIFF("{\"a.b\":1}", "{\"a\":{\"b\":1}}");
	DIFF("{\"a[]\":1}", "{\"a\":[1]}");
	DIFF("{\"a b\":1}", "{\"a\":1}");
	DIFF("{\"~2e\":1}", "{\".\":1}");
}

Test(schema_hash, stable_value)
{
	/* pinned so a change of the algorithm is a deliberate one (the value
	 * also matches tests/fixtures/mcp/gen_expected.py's implementation) */
	cr_assert_eq(h("{\"a\":1}"), 0xc0797e9393769822ull);
	cr_assert_eq(h(base), 0xdfa2274827389009ull);
	cr_assert_eq(h("[]"), 0x927ad28556b2abebull);
}

Test(schema_hash, non_json_has_none)
{
	uint64_t v = 42;

	cr_assert_eq(schema_hash__text("<html></html>", 13, &v), -EINVAL);
	cr_assert_eq(schema_hash__text("{\"a\":1", 6, &v), -EINVAL, "cut");
	cr_assert_eq(schema_hash__text("{\"a\":1} x", 9, &v), -EINVAL, "trailing garbage");
	cr_assert_eq(schema_hash__text("data: {}\n\n", 10, &v), -EINVAL, "SSE");
	cr_assert_eq(schema_hash__text("{\"a\":1}\n{\"a\":2}\n", 16, &v), -EINVAL, "NDJSON");
	cr_assert_eq(schema_hash__text("", 0, &v), -EINVAL);
	cr_assert_eq(v, 42u, "untouched on failure");
}

Test(schema_hash, caps_bound_memory)
{
	size_t n = SCHEMA_HASH_MAX_PAIRS + 10, i;
	char *buf = malloc(n * 16 + 16), *p = buf;
	uint64_t v;

	/* many distinct keys: over the pair cap */
	*p++ = '{';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"k%zu\":1", i ? "," : "", i);
	strcpy(p, "}");
	cr_assert_eq(schema_hash__text(buf, strlen(buf), &v), -E2BIG);
	/* many repeated elements collapse and fit */
	p = buf;
	*p++ = '[';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s{\"k\":%zu}", i ? "," : "", i);
	strcpy(p, "]");
	cr_assert_eq(schema_hash__text(buf, strlen(buf), &v), 0);
	cr_assert_eq(v, h("[{\"k\":0}]"));
	free(buf);
}
