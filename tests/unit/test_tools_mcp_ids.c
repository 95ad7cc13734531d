// SPDX-License-Identifier: MIT
/* MCP id matching under a large batch: ids are capped per exchange and
 * matched by key (string "1" and number 1 are different ids). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/mcp.h"

/* A POST whose body is a batch of n tools/list requests with ids 0..n-1. */
static char *batch_body(size_t n, size_t *len)
{
	size_t cap = 64 + n * 64, o = 0;
	char *b = malloc(cap);

	cr_assert_not_null(b);
	b[o++] = '[';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(b + o, cap - o, "%s{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"tools/list\"}",
				      i ? "," : "", i);
	b[o++] = ']';
	b[o] = 0;
	*len = o;
	return b;
}

Test(mcp_ids, batch_ids_are_capped_and_counted)
{
	size_t n = MCP_MAX_IDS + 10, len;
	char *body = batch_body(n, &len);
	struct http_exchange x = { .method = "POST", .target = "/mcp", .host = "" };
	uint64_t jerr = 0;
	struct mcp_req r;

	x.req.body = (const uint8_t *)body;
	x.req.body_len = len;
	cr_assert_eq(mcp_req__parse(&r, &x, &jerr), 1);
	cr_assert_eq(json_array_size(r.ids), MCP_MAX_IDS);
	cr_assert_eq(r.ids_dropped, 10);
	cr_assert_eq(r.batch, n);
	mcp_req__release(&r);
	free(body);
}

Test(mcp_ids, answers_match_by_key_in_a_big_batch)
{
	size_t n = 3000, len, blen;
	char *body = batch_body(n, &len), *ans = malloc(n * 48 + 64);
	struct http_exchange x = { .method = "POST", .target = "/mcp", .host = "" };
	struct mcp_reader *rd;
	uint64_t jerr = 0;
	struct mcp_req r;

	x.req.body = (const uint8_t *)body;
	x.req.body_len = len;
	cr_assert_eq(mcp_req__parse(&r, &x, &jerr), 1);
	/* answers in reverse order, plus one with the string id "1" */
	blen = (size_t)sprintf(ans, "[{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}");
	for (size_t i = n; i-- > 0;)
		blen += (size_t)sprintf(ans + blen, ",{\"jsonrpc\":\"2.0\",\"id\":%zu,\"result\":{}}", i);
	ans[blen++] = ']';
	rd = mcp_reader__new(r.ids, r.id, false);
	cr_assert_not_null(rd);
	cr_assert_eq(mcp_reader__whole(rd, ans, blen), 0);
	cr_assert_eq(mcp_reader__answer(rd)->answered, n, "the string id \"1\" is not ours");
	cr_assert_eq(mcp_reader__answer(rd)->messages, n + 1);
	mcp_reader__free(rd);
	mcp_req__release(&r);
	free(body);
	free(ans);
}

Test(mcp_ids, id_keys)
{
	char k[MCP_ID_KEY_MAX];
	json_t *v;

	v = json_string("1");
	cr_assert(mcp__id_key(v, k, sizeof(k)));
	cr_assert_str_eq(k, "s1");
	json_decref(v);
	v = json_integer(1);
	cr_assert(mcp__id_key(v, k, sizeof(k)));
	cr_assert_str_eq(k, "i1");
	json_decref(v);
	v = json_object();
	cr_assert_not(mcp__id_key(v, k, sizeof(k)));
	json_decref(v);
}
