// SPDX-License-Identifier: MIT
/* Where --inject-traceparent inserts its header: the parser that
 * bpf/inject.bpf.c runs, driven here the way the BPF program drives it
 * (skip body bytes by count, feed the rest a byte at a time, insert
 * before the byte that says INSERT), over real request bytes split into
 * send calls every possible way. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <agentrace/inject_parse.h>

#define HDR "traceparent: X\r\n"
#define MAXOUT 4096

/* One send call through the parser; appends the bytes the peer would
 * receive to out. Returns the inserts made. */
static int send_call(struct inj_parse *p, const char *buf, size_t len, char *out, size_t *olen)
{
	int inserts = 0;
	size_t off = 0;

	while (off < len) {
		unsigned long long n = inj_parse__skippable(p);

		if (n) {
			if (n > len - off)
				n = len - off;
			memcpy(out + *olen, buf + off, n);
			*olen += n;
			off += n;
			inj_parse__skip(p, n);
			continue;
		}
		if (inj_parse__byte(p, (unsigned char)buf[off]) == INJ_ACT_INSERT) {
			memcpy(out + *olen, HDR, strlen(HDR));
			*olen += strlen(HDR);
			inserts++;
		}
		out[(*olen)++] = buf[off++];
	}
	return inserts;
}

/* The whole stream cut at the given offsets (ascending, 0-terminated). */
static int run(const char *in, const size_t *cuts, char *out)
{
	struct inj_parse p = { 0 };
	size_t olen = 0, from = 0, len = strlen(in);
	int inserts = 0;

	for (size_t i = 0; cuts && cuts[i]; i++) {
		inserts += send_call(&p, in + from, cuts[i] - from, out, &olen);
		from = cuts[i];
	}
	inserts += send_call(&p, in + from, len - from, out, &olen);
	out[olen] = 0;
	return inserts;
}

static void expect_out(const char *in, const char *want, int want_inserts)
{
	char out[MAXOUT];

	cr_assert_eq(run(in, NULL, out), want_inserts, "inserts for %s", in);
	cr_assert_str_eq(out, want);
}

/* Every way of splitting the stream in two and in three gives the same
 * bytes on the wire as one send call. */
static void expect_split_invariant(const char *in, const char *want, int want_inserts)
{
	size_t len = strlen(in);
	char out[MAXOUT];

	for (size_t a = 1; a < len; a++) {
		size_t cuts2[] = { a, 0 };

		cr_assert_eq(run(in, cuts2, out), want_inserts, "split at %zu", a);
		cr_assert_str_eq(out, want, "split at %zu", a);
		for (size_t b = a + 1; b < len; b += 7) {
			size_t cuts3[] = { a, b, 0 };

			cr_assert_eq(run(in, cuts3, out), want_inserts, "split at %zu,%zu", a, b);
			cr_assert_str_eq(out, want, "split at %zu,%zu", a, b);
		}
	}
}

#define GET "GET /v1/x?a=b HTTP/1.1\r\nHost: tool:8080\r\nAccept: */*\r\n"

Test(inject_parse, inserts_before_the_blank_line)
{
	expect_out(GET "\r\n", GET HDR "\r\n", 1);
}

Test(inject_parse, split_request_line_and_blank_line)
{
	expect_split_invariant(GET "\r\n", GET HDR "\r\n", 1);
}

Test(inject_parse, bare_lf_blank_line)
{
	expect_out("GET / HTTP/1.0\nHost: a\n\n", "GET / HTTP/1.0\nHost: a\n" HDR "\n", 1);
}

#define POST1 "POST /run HTTP/1.1\r\nContent-Length: 22\r\n\r\n"
#define BODY1 "GET / HTTP/1.1\r\n\r\n\r\n\r\n" /* looks like a request: is body */
#define POST2 "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
#define CHUNKS "5;x=y\r\n\r\n\r\nG\r\n10\r\nGET / HTTP/1.1\r\n\r\n0\r\nX-T: 1\r\n\r\n"
#define LAST "DELETE /c HTTP/1.1\r\nHost: a\r\n\r\n"

Test(inject_parse, pipelined_with_bodies_that_look_like_requests)
{
	const char *in = POST1 BODY1 POST2 CHUNKS LAST;
	char want[MAXOUT];

	cr_assert_eq(strlen(BODY1), 22);
	snprintf(want, sizeof(want), "%s%s%s%s%s%s%s%s%s",
		 "POST /run HTTP/1.1\r\nContent-Length: 22\r\n", HDR "\r\n", BODY1,
		 "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n", HDR "\r\n", CHUNKS,
		 "DELETE /c HTTP/1.1\r\nHost: a\r\n", HDR, "\r\n");
	expect_out(in, want, 3);
	expect_split_invariant(in, want, 3);
}

Test(inject_parse, existing_traceparent_left_alone_next_request_injected)
{
	const char *own = "GET /a HTTP/1.1\r\nTraceParent: 00-1-2-01\r\n\r\n";
	char in[512], want[512];

	snprintf(in, sizeof(in), "%s%s", own, GET "\r\n");
	snprintf(want, sizeof(want), "%s%s", own, GET HDR "\r\n");
	expect_out(in, want, 1);
	expect_split_invariant(in, want, 1);
}

Test(inject_parse, lookalike_header_names_do_not_count)
{
	const char *in = "GET / HTTP/1.1\r\nx-traceparent: 1\r\ntraceparentx: 2\r\n\r\n";
	char want[512];

	snprintf(want, sizeof(want), "%.*s%s\r\n", (int)strlen(in) - 2, in, HDR);
	expect_out(in, want, 1);
}

static void expect_dead(const char *in, size_t len)
{
	struct inj_parse p = { 0 };
	char out[MAXOUT];
	size_t olen = 0;

	cr_assert_eq(send_call(&p, in, len, out, &olen), 0);
	cr_assert_eq(p.state, INJ_ST_DEAD);
	cr_assert_eq(olen, len);
	cr_assert_eq(memcmp(out, in, len), 0, "stream must be unchanged");
}

Test(inject_parse, never_into_tls_responses_h2_or_garbage)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03GET / HTTP/1.1\r\n\r\n";
	static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	static const char bin[] = "\x00\x00\x00\x10GET / HTTP/1.1\r\n\r\n";

	expect_dead(tls, sizeof(tls) - 1);
	expect_dead(h2, sizeof(h2) - 1);
	expect_dead(resp, sizeof(resp) - 1);
	expect_dead(bin, sizeof(bin) - 1);
	expect_dead("get / HTTP/1.1\r\n\r\n", 18);
}

Test(inject_parse, never_into_tunnels)
{
	static const char conn[] = "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	static const char ws[] = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET / HTTP/1.1\r\n\r\n";

	expect_dead(conn, sizeof(conn) - 1);
	expect_dead(ws, sizeof(ws) - 1);
	/* CONNECTX is just a method */
	expect_out("CONNECTX / HTTP/1.1\r\n\r\n", "CONNECTX / HTTP/1.1\r\n" HDR "\r\n", 1);
}

Test(inject_parse, unreadable_length_gives_up_unchanged)
{
	static const char bad[] = "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nGET / HTTP/1.1\r\n\r\n";

	expect_dead(bad, sizeof(bad) - 1);
}

Test(inject_parse, counts_requests)
{
	struct inj_parse p = { 0 };
	char out[MAXOUT];
	size_t olen = 0;
	const char *in = POST1 BODY1 LAST LAST;

	send_call(&p, in, strlen(in), out, &olen);
	cr_assert_eq(p.requests, 3);
	cr_assert_eq(p.state, INJ_ST_START);
}
