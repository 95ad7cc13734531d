// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "genai/jskim.h"

/* genai__json_load must agree with json_loadb on every input. */
static void same(const char *doc, size_t flags)
{
	json_t *a = genai__json_load(doc, strlen(doc), flags);
	json_t *b = json_loadb(doc, strlen(doc), flags, NULL);

	cr_assert_eq(!a, !b, "validity differs for %s", doc);
	if (a) {
		char *da = json_dumps(a, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		char *db = json_dumps(b, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

		cr_assert_str_eq(da, db, "for %s", doc);
		free(da);
		free(db);
	}
	json_decref(a);
	json_decref(b);
}

Test(genai_jload, agrees_with_jansson)
{
	static const char *const docs[] = {
		"{}", "[]", " { } ", "[ ]", "{\"a\":1,\"b\":[1,2.5,-3e2,true,false,null],\"c\":{}}",
		"{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"hi \\\"q\\\" \\u00e9\"}}]}",
		"{\"a\":1,\"a\":2}", "{\"k\\u0041\":1}", "{\"k\\u0000\":1}", "[\"\\u0000\"]",
		"[01]", "[1.]", "[.5]", "[+1]", "[-]", "[1e]", "[1e+]", "[0.5e-3]", "[-0]",
		"[99999999999999999999]", "[1e999]", "[1e-999]", "{\"a\":1,}", "[1,]", "{\"a\" 1}",
		"{\"a\":1} x", "[\"a\tb\"]", "[\"\xc3\xa9\"]", "[\"\xff\"]", "{\"\xff\":1}", "[tru]",
		"[nul]", "{\"a\":[1,2", "\"str\"", "12", "true", "", "   ", "[\"cut",
		"{\"a\":{\"b\":{\"c\":[[[[[1]]]]]}}}", "[1 2]", "{1:2}",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		same(docs[i], 0);
		same(docs[i], JSON_DECODE_ANY);
	}
}

Test(genai_jload, deep_nesting_falls_back)
{
	char doc[1024];
	size_t i, d = 300;

	for (i = 0; i < d; i++)
		doc[i] = '[';
	for (i = 0; i < d; i++)
		doc[d + i] = ']';
	doc[2 * d] = '\0';
	same(doc, 0);
}

/* The request loaders report the raw text of "tools" (the key the tool
 * definition cache hashes), and the full loader can leave it unbuilt. */
Test(genai_jload, member_text_reported_and_skipped)
{
	const char *doc = "{\"model\":\"m\", \"tools\" : [ {\"name\":\"a\",\"x\":{\"y\":[1]}} ] ,"
			  "\"messages\":[{\"role\":\"user\",\"content\":\"]\"}]}";
	const char *raw = strchr(doc, '[');
	size_t raw_n = strlen("[ {\"name\":\"a\",\"x\":{\"y\":[1]}} ]");
	struct genai_jmember m = { .key = "tools" };
	bool complete;
	json_t *j;

	for (int skip = 0; skip < 2; skip++) {
		m.skip = skip;
		j = genai__json_load_member(doc, strlen(doc), &m);
		cr_assert_not_null(j);
		cr_assert_eq(m.v, raw);
		cr_assert_eq(m.n, raw_n);
		cr_assert_eq(json_array_size(json_object_get(j, "tools")), skip ? 0 : 1);
		cr_assert(json_is_array(json_object_get(j, "tools")));
		cr_assert_eq(json_array_size(json_object_get(j, "messages")), 1);
		json_decref(j);
	}
	j = genai__json_skim(doc, strlen(doc), 1024, &complete, &m);
	cr_assert(complete);
	cr_assert_eq(m.v, raw);
	cr_assert_eq(m.n, raw_n);
	json_decref(j);
	/* absent; nested "tools" is not the member */
	j = genai__json_load_member("{\"a\":{\"tools\":[1]}}", 19, &m);
	cr_assert_null(m.v);
	json_decref(j);
	/* a document only jansson reads (escaped key) reports nothing, builds all */
	doc = "{\"k\\u0041\":1,\"tools\":[1]}";
	m.skip = true;
	j = genai__json_load_member(doc, strlen(doc), &m);
	cr_assert_null(m.v);
	cr_assert_eq(json_array_size(json_object_get(j, "tools")), 1);
	json_decref(j);
	cr_assert(genai__json_raw_nonempty_array(" [ 0 ]" + 1, 5));
	cr_assert_not(genai__json_raw_nonempty_array("[ ]", 3));
	cr_assert_not(genai__json_raw_nonempty_array("{\"a\":1}", 7));
	cr_assert_not(genai__json_raw_nonempty_array(NULL, 0));
}
