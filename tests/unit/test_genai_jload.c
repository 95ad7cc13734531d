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
