// SPDX-License-Identifier: MIT
/* Bounded capture's verdicts (issue #13): the first bytes of each
 * direction of an untargeted process's connection, as the kernel hands
 * them over (an AR_EV_DATA record cut at --bounded-bytes), on the
 * providers' and MCP's real wire captures and on everyday traffic. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "discover/verdict.h"
#include "discover/verdict_hold.h"
#include "slurp.h"

#define BOUNDED 4096

static uint8_t rec[sizeof(struct ar_data_event) + BOUNDED];

/* A record of the first n bytes of data (at most BOUNDED, as the kernel
 * cuts), at stream offset seq. Returns its length. */
static size_t record(const void *data, size_t n, uint64_t seq, uint16_t flags, uint8_t source)
{
	struct ar_data_event *ev = (void *)rec;

	memset(rec, 0, sizeof(rec));
	ev->hdr.type = AR_EV_DATA;
	ev->hdr.flags = flags;
	ev->seq = seq;
	ev->source = source;
	ev->len = n < BOUNDED ? n : BOUNDED;
	memcpy(ev + 1, data, ev->len);
	return sizeof(*ev) + ev->len;
}

static enum verdict judge_file(const char *path, enum promote_reason *why, char *what)
{
	size_t n, len;
	char *buf = test_slurp(path, &n);

	len = record(buf, n, 0, AR_F_BOUNDED, AR_SRC_SOCKET);
	free(buf);
	return verdict__judge(NULL, rec, len, why, what, 128);
}

Test(verdict, llm_and_mcp_requests_keep)
{
	enum promote_reason why;
	char what[128];

	cr_assert_eq(judge_file("tests/fixtures/wire/anthropic_messages_basic/c2s.bin", &why, what),
		     VERDICT_KEEP);
	cr_assert_eq(why, PROMOTE_HTTP_PATH);
	cr_assert_str_eq(what, "/v1/messages");
	cr_assert_eq(judge_file("tests/fixtures/wire/openai_chat_basic/c2s.bin", &why, what),
		     VERDICT_KEEP);
	cr_assert_eq(judge_file("tests/fixtures/mcp/tools_call_json/request.http", &why, what),
		     VERDICT_KEEP);
	cr_assert_eq(why, PROMOTE_MCP);
}

Test(verdict, everything_else_is_skipped)
{
	static const char *const heads[] = {
		"GET /debian/dists/bookworm/InRelease HTTP/1.1\r\nHost: deb.debian.org\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: 10.0.0.7:8080\r\nUser-Agent: kube-probe/1.29\r\n\r\n",
		"POST /api/v1/orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"*1\r\n$4\r\nPING\r\n", /* redis */
	};
	enum promote_reason why;
	char what[128];

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		size_t len = record(heads[i], strlen(heads[i]), 0, AR_F_BOUNDED, AR_SRC_SOCKET);

		cr_assert_eq(verdict__judge(NULL, rec, len, &why, what, sizeof(what)), VERDICT_SKIP,
			     "head %zu", i);
		cr_assert_eq(why, PROMOTE_NO);
	}
}

Test(verdict, only_the_first_plaintext_bytes_decide)
{
	static const char get[] = "GET / HTTP/1.1\r\n\r\n";
	enum promote_reason why;
	char what[128];
	size_t len;

	len = record(get, sizeof(get) - 1, 4096, AR_F_BOUNDED, AR_SRC_SOCKET);
	cr_assert_eq(verdict__judge(NULL, rec, len, &why, what, sizeof(what)), VERDICT_WAIT,
		     "not at the start of its direction");
	len = record(get, sizeof(get) - 1, 0, AR_F_TLS, AR_SRC_TLS);
	cr_assert_eq(verdict__judge(NULL, rec, len, &why, what, sizeof(what)), VERDICT_WAIT,
		     "a target's TLS plaintext");
	len = record(get, sizeof(get) - 1, 0, 0, AR_SRC_SOCKET);
	cr_assert_eq(verdict__judge(NULL, rec, len, &why, what, sizeof(what)), VERDICT_WAIT,
		     "a target's socket data (copied whole, not bounded) is never judged");
	len = record(get, sizeof(get) - 1, 0, AR_F_BOUNDED, AR_SRC_SOCKET);
	cr_assert_eq(verdict__judge(NULL, rec, len - 1, &why, what, sizeof(what)), VERDICT_WAIT,
		     "a record shorter than its len is malformed");
	((struct ar_event_hdr *)rec)->type = AR_EV_FIRST_WRITE;
	cr_assert_eq(verdict__judge(NULL, rec, len, &why, what, sizeof(what)), VERDICT_WAIT);
}

/* A POST the kernel saw start mid-connection (AR_F_MSG_START: a keep-alive
 * client's LLM call after a GET that was judged uninteresting) is judged
 * like a first message, on the provider's real wire bytes. */
Test(verdict, a_request_started_later_is_judged)
{
	enum promote_reason why;
	char what[128];
	size_t n, len;
	char *buf = test_slurp("tests/fixtures/wire/openai_chat_basic/c2s.bin", &n);

	len = record(buf, n, 731, AR_F_BOUNDED | AR_F_MSG_START, AR_SRC_SOCKET);
	free(buf);
	cr_assert_eq(verdict__judge(NULL, rec, len, &why, what, sizeof(what)), VERDICT_KEEP);
	cr_assert_eq(why, PROMOTE_HTTP_PATH);
	cr_assert_str_eq(what, "/v1/chat/completions");
	len = record("POST /upload HTTP/1.1\r\n\r\n", 25, 731, AR_F_BOUNDED | AR_F_MSG_START,
		     AR_SRC_SOCKET);
	cr_assert_eq(verdict__judge(NULL, rec, len, &why, what, sizeof(what)), VERDICT_SKIP);
}

/* Held skip verdicts come out oldest first once due; a full hold gives
 * back its oldest at once. */
Test(verdict, hold_releases_in_order_and_when_full)
{
	static struct verdict_hold h;
	uint64_t id;

	cr_assert_eq(verdict_hold__push(&h, 1, 100), 0);
	cr_assert_eq(verdict_hold__push(&h, 2, 200), 0);
	cr_assert_not(verdict_hold__pop(&h, 150, 100, &id), "nothing due yet");
	cr_assert(verdict_hold__pop(&h, 200, 100, &id));
	cr_assert_eq(id, 1);
	cr_assert_not(verdict_hold__pop(&h, 250, 100, &id));
	cr_assert(verdict_hold__pop(&h, 300, 100, &id));
	cr_assert_eq(id, 2);
	for (uint64_t i = 1; i <= VERDICT_HOLD_MAX; i++)
		cr_assert_eq(verdict_hold__push(&h, i, 1000), 0);
	cr_assert_eq(verdict_hold__push(&h, 9999, 1000), 1, "the oldest is due at once");
}

/* A held skip taken early leaves the others due in their order; a conn_id
 * not held is refused and changes nothing. */
Test(verdict, hold_gives_up_one_taken_early)
{
	static struct verdict_hold h;
	uint64_t id;

	/* start near the end of the ring, so the gap closes across its wrap */
	h.head = VERDICT_HOLD_MAX - 2;
	for (uint64_t i = 1; i <= 5; i++)
		cr_assert_eq(verdict_hold__push(&h, i, i * 100), 0);
	cr_assert(verdict_hold__take(&h, 2));
	cr_assert_not(verdict_hold__take(&h, 2), "taken twice");
	cr_assert_not(verdict_hold__take(&h, 42));
	cr_assert_eq(h.n, 4);
	for (uint64_t want = 1; want <= 5; want++) {
		if (want == 2)
			continue;
		cr_assert(verdict_hold__pop(&h, 10000, 0, &id));
		cr_assert_eq(id, want);
		cr_assert_eq(h.since[(h.head + VERDICT_HOLD_MAX - 1) % VERDICT_HOLD_MAX], want * 100,
			     "its time moved with it");
	}
	cr_assert_not(verdict_hold__pop(&h, 10000, 0, &id));
}

/* A skip waits only for a loopback peer not seen to accept it. */
Test(verdict, when_a_skip_is_written)
{
	cr_assert_eq(verdict__when(true, 0, false), VERDICT_HOLD);
	cr_assert_eq(verdict__when(true, 1234, false), VERDICT_NOW, "its server is no target");
	cr_assert_eq(verdict__when(true, 1234, true), VERDICT_NEVER);
	cr_assert_eq(verdict__when(false, 0, false), VERDICT_NOW, "a remote server");
}
