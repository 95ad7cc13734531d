// SPDX-License-Identifier: MIT
/* The inbound side of --inject-traceparent: the walk bpf/serve.bpf.h
 * runs over what a target's server socket reads (include/agentrace/
 * inject_serve.h), driven as the BPF program drives it (body bytes
 * skipped by count, the rest a byte at a time), over real request bytes
 * split into reads every possible way; and its traceparent rules against
 * userspace's (user/trace/traceparent.c), which must agree, since the
 * kernel's ids become the SERVER span's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <agentrace/inject_serve.h>

#include "trace/traceparent.h"

#define MAXEV 8

struct got {
	int n;        /* header blocks seen */
	bool dead;
	bool valid[MAXEV];
	struct inj_tp tp[MAXEV];
};

static void read_call(struct inj_serve *s, const char *buf, size_t len, struct got *g)
{
	size_t off = 0;

	while (off < len && s->p.state != INJ_ST_DEAD) {
		unsigned long long n = inj_parse__skippable(&s->p);
		int act;

		if (n) {
			if (n > len - off)
				n = len - off;
			inj_parse__skip(&s->p, n);
			off += n;
			continue;
		}
		act = inj_serve__byte(s, (unsigned char)buf[off++]);
		if (act == INJ_SRV_HEADERS && g->n < MAXEV) {
			g->valid[g->n] = inj_tp__valid(&s->tp);
			g->tp[g->n++] = s->tp;
		}
		if (act == INJ_SRV_DEAD)
			g->dead = true;
	}
}

static struct got run(const char *in, size_t len, const size_t *cuts)
{
	struct inj_serve s = { 0 };
	struct got g = { 0 };
	size_t from = 0;

	for (size_t i = 0; cuts && cuts[i]; i++) {
		read_call(&s, in + from, cuts[i] - from, &g);
		from = cuts[i];
	}
	read_call(&s, in + from, len - from, &g);
	return g;
}

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define REQ1 "POST /run HTTP/1.1\r\nHost: agent\r\ntraceparent: " TP "\r\n" \
	     "Content-Length: 31\r\n\r\n"
#define BODY1 "traceparent: 00-ffffffffffff-01" /* a body: never read as a header */
#define REQ2 "GET /health HTTP/1.1\r\nHost: agent\r\n\r\n"
#define REQ3 "POST /b HTTP/1.1\r\nTraceparent: " TP "\r\nTRACEPARENT: " TP "\r\n" \
	     "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"

static void expect_three(const struct got *g, const char *how)
{
	cr_assert_eq(g->n, 3, "%s: %d header blocks", how, g->n);
	cr_expect(g->valid[0], "%s: the first request's traceparent", how);
	cr_expect_eq(g->tp[0].trace_id[0], 0x4b, "%s", how);
	cr_expect_eq(g->tp[0].trace_id[15], 0x36, "%s", how);
	cr_expect_eq(g->tp[0].parent_id[0], 0x00, "%s", how);
	cr_expect_eq(g->tp[0].parent_id[7], 0xb7, "%s", how);
	cr_expect_eq(g->tp[0].flags, 0x01, "%s", how);
	cr_expect(!g->valid[1], "%s: the second has none", how);
	cr_expect(!g->valid[2], "%s: two traceparent headers are none", how);
	cr_expect(!g->dead, "%s", how);
}

Test(inject_serve, pipelined_requests_one_decision_each_at_every_split)
{
	const char *in = REQ1 BODY1 REQ2 REQ3;
	size_t len = strlen(in);
	char how[64];
	struct got g;

	cr_assert_eq(strlen(BODY1), 31);
	g = run(in, len, NULL);
	expect_three(&g, "one read");
	for (size_t a = 1; a < len; a++) {
		size_t cuts2[] = { a, 0 };

		snprintf(how, sizeof(how), "split at %zu", a);
		g = run(in, len, cuts2);
		expect_three(&g, how);
		for (size_t b = a + 1; b < len; b += 5) {
			size_t cuts3[] = { a, b, 0 };

			snprintf(how, sizeof(how), "split at %zu,%zu", a, b);
			g = run(in, len, cuts3);
			expect_three(&g, how);
		}
	}
}

Test(inject_serve, tls_and_responses_are_not_requests)
{
	static const char tls[] = "\x17\x03\x03\x00\x20GET / HTTP/1.1\r\n\r\n";
	struct got g = run(tls, sizeof(tls) - 1, NULL);

	cr_expect(g.dead && g.n == 0);
	g = run("HTTP/1.1 200 OK\r\n\r\n", 19, NULL);
	cr_expect(g.dead && g.n == 0);
}

/* Upgrade: the request is served (decided) and the stream stops being HTTP. */
Test(inject_serve, upgrade_is_decided_then_dead)
{
	const char *in = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct got g = run(in, strlen(in), NULL);

	cr_expect_eq(g.n, 1);
}

/* Every value: the kernel takes it exactly when userspace does, with the
 * same ids and flags. */
Test(inject_serve, traceparent_rules_agree_with_userspace)
{
	static const char *const values[] = {
		TP,
		"  " TP "\t ",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"fe-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		TP "-extra",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
		TP " 00",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 00",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
		"0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff",
		"",
	};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char in[256];
		int n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\ntraceparent:%s\r\n\r\n", values[i]);
		struct traceparent want;
		bool ok = traceparent__parse(values[i], strlen(values[i]), &want) == TRACEPARENT_OK;
		struct got g = run(in, (size_t)n, NULL);

		cr_assert_eq(g.n, 1, "%s", values[i]);
		cr_expect_eq(g.valid[0], ok, "'%s': kernel %d, userspace %d", values[i], g.valid[0], ok);
		if (!ok || !g.valid[0])
			continue;
		cr_expect_arr_eq(g.tp[0].trace_id, want.trace_id, 16, "%s", values[i]);
		cr_expect_arr_eq(g.tp[0].parent_id, want.parent_id, 8, "%s", values[i]);
		cr_expect_eq(g.tp[0].flags, want.flags, "%s", values[i]);
	}
}
