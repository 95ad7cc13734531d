// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "../fuzz/jstrip.h"
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

/* genai__json_load_keys must accept what json_loadb accepts and build
 * its document minus the members keep leaves out. */
static void same_kept(const char *doc)
{
	json_t *a = genai__json_load_keys(doc, strlen(doc), jstrip_keep_test);
	json_t *b = json_loadb(doc, strlen(doc), 0, NULL);

	cr_assert_eq(!a, !b, "validity differs for %s", doc);
	/* a document with escaped keys is jansson's to read: all of it */
	if (b && !json_equal(a, b)) {
		jstrip(b, jstrip_keep_test);
		cr_assert(json_equal(a, b), "for %s", doc);
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
		/* integers around the 18-digit fast path and the int64 edge */
		"[123456789012345678,-12345678901234567]", "[1234567890123456789]",
		"[9223372036854775807,-9223372036854775808]", "[9223372036854775808]",
		"[-00]", "[-]", "[0,-0,7,-7]",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		same(docs[i], 0);
		same(docs[i], JSON_DECODE_ANY);
		same_kept(docs[i]);
	}
}

/* Left-out members are checked all the same: a bad value, number or key
 * anywhere fails the whole document, as in jansson. */
Test(genai_jload, left_out_members_are_still_checked)
{
	static const char *const docs[] = {
		"{\"abc\":[1,{\"x\":\"y\"}],\"kk\":1}", /* "abc" left out, "kk" kept */
		"{\"abc\":[1,{\"x\":tru}],\"kk\":1}",   /* a bad literal inside */
		"{\"abc\":\"a\\qb\",\"kk\":1}",         /* a bad escape */
		"{\"abc\":\"\\ud800\",\"kk\":1}",       /* a lone surrogate */
		"{\"abc\":\"\xff\",\"kk\":1}",          /* invalid UTF-8 */
		"{\"\xff\":1,\"kk\":1}",                /* in a key left out */
		"{\"abc\":01,\"kk\":1}",                /* a bad number */
		"{\"abc\":99999999999999999999,\"kk\":1}",
		"{\"abc\":\"a\tb\",\"kk\":1}",          /* a raw control byte */
		"{\"abc\":{\"d\":1,},\"kk\":1}",
		"{\"abc\":[1 2],\"kk\":1}",
		"{\"abc\":\"\xc3\xa9\",\"kk\":\"\\u00e9\",\"k\\u0041\":2}",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		same_kept(docs[i]);
}

/* Only what keep accepts is built, at every depth. */
Test(genai_jload, keeps_only_what_is_named)
{
	const char *doc = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":17,"
			  "\"choices\":[{\"kk\":0,\"logprobs\":null}],\"kusage\":{\"a\":1,\"bb\":2}}";
	json_t *a = genai__json_load_keys(doc, strlen(doc), jstrip_keep_test);
	char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);

	cr_assert_str_eq(s, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"kusage\":{\"bb\":2}}");
	free(s);
	json_decref(a);
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
