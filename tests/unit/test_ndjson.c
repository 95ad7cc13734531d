// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ndjson.h"

struct nrec {
	char log[8192];
	size_t len;
};

static int nrec_cb(void *ctx, const char *line, size_t len)
{
	struct nrec *r = ctx;

	r->len += snprintf(r->log + r->len, sizeof(r->log) - r->len, "<%.*s>", (int)len, line);
	return 0;
}

static void nrun(const char *s, size_t len, const size_t *sizes, size_t n_sizes,
		 struct nrec *r, struct ndjson_stats *st, size_t max_line)
{
	struct ndjson *p = ndjson__new(max_line, nrec_cb, r);
	size_t off = 0, k = 0;

	cr_assert_not_null(p);
	memset(r, 0, sizeof(*r));
	while (off < len) {
		size_t n = n_sizes ? sizes[k++ % n_sizes] : len;

		if (n > len - off)
			n = len - off;
		cr_assert_eq(ndjson__feed(p, s + off, n), 0);
		off += n;
	}
	cr_assert_eq(ndjson__finish(p), 0);
	ndjson__stats(p, st);
	ndjson__free(p);
}

/* Ollama /api/chat stream shape */
static const char body[] =
	"{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
	"\r\n"
	"{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"!\"},\"done\":false}\r\n"
	"   \n"
	"{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":26,\"eval_count\":2}";

static const char expect[] =
	"<{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}>"
	"<{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"!\"},\"done\":false}>"
	"<{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":26,\"eval_count\":2}>";

Test(ndjson_splitter, whole_body)
{
	struct ndjson_stats st;
	struct nrec r;

	nrun(body, sizeof(body) - 1, NULL, 0, &r, &st, 0);
	cr_assert_str_eq(r.log, expect);
	cr_assert_eq(st.lines, 3);
	cr_assert_eq(st.unterminated, 1);
}

Test(ndjson_splitter, byte_by_byte_and_random_splits)
{
	static const size_t one[] = { 1 };
	struct ndjson_stats st;
	struct nrec r;
	size_t sizes[32];
	int round, i;

	nrun(body, sizeof(body) - 1, one, 1, &r, &st, 0);
	cr_assert_str_eq(r.log, expect);
	srand(7);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 32; i++)
			sizes[i] = 1 + rand() % 23;
		nrun(body, sizeof(body) - 1, sizes, 32, &r, &st, 0);
		cr_assert_str_eq(r.log, expect, "round %d", round);
		cr_assert_eq(st.lines, 3);
	}
}

Test(ndjson_splitter, huge_line_is_a_counted_drop)
{
	static const size_t splits[] = { 5, 100, 1 };
	char s[1200];
	struct ndjson_stats st;
	struct nrec r;
	size_t n = 0;

	n += sprintf(s, "{\"a\":1}\n");
	memset(s + n, 'x', 500);
	n += 500;
	n += sprintf(s + n, "\n{\"b\":2}\n");
	nrun(s, n, NULL, 0, &r, &st, 64);
	cr_assert_str_eq(r.log, "<{\"a\":1}><{\"b\":2}>");
	cr_assert_eq(st.dropped_lines, 1);
	nrun(s, n, splits, 3, &r, &st, 64);
	cr_assert_str_eq(r.log, "<{\"a\":1}><{\"b\":2}>");
	cr_assert_eq(st.dropped_lines, 1);
}

Test(ndjson_splitter, huge_unterminated_tail_is_dropped)
{
	char s[300];
	struct ndjson_stats st;
	struct nrec r;

	memset(s, 'y', sizeof(s));
	nrun(s, sizeof(s), NULL, 0, &r, &st, 64);
	cr_assert_str_eq(r.log, "");
	cr_assert_eq(st.dropped_lines, 1);
	cr_assert_eq(st.lines, 0);
}
