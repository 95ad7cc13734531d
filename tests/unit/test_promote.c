// SPDX-License-Identifier: MIT
/* Promotion (issue #13): SNI from real ClientHellos (captured from curl,
 * python and node by a plain TCP listener into tests/fixtures/tls), the
 * provider host list, and the judgement of a first write. */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "discover/llm_hosts.h"
#include "discover/promote.h"
#include "discover/sni.h"
#include "slurp.h"

#define TLS_FIX "tests/fixtures/tls/"

static int sni_of(const char *name, size_t cut, char *host, size_t cap)
{
	char path[256];
	size_t len;
	uint8_t *buf;
	int r;

	snprintf(path, sizeof(path), TLS_FIX "%s", name);
	buf = (uint8_t *)test_slurp(path, &len);
	r = sni__parse(buf, cut && cut < len ? cut : len, host, cap);
	free(buf);
	return r;
}

Test(sni, real_client_hellos)
{
	char host[256];

	cr_assert_eq(sni_of("clienthello-curl-api.openai.com.bin", 0, host, sizeof(host)), 0);
	cr_assert_str_eq(host, "api.openai.com");
	cr_assert_eq(sni_of("clienthello-python-api.anthropic.com.bin", 0, host, sizeof(host)), 0);
	cr_assert_str_eq(host, "api.anthropic.com");
	cr_assert_eq(sni_of("clienthello-node-generativelanguage.googleapis.com.bin", 0, host,
			    sizeof(host)), 0);
	cr_assert_str_eq(host, "generativelanguage.googleapis.com");
}

Test(sni, ip_literal_has_none_and_cuts_ask_for_more)
{
	char host[256];

	/* RFC 6066: no server_name for an IP address literal. */
	cr_assert_eq(sni_of("clienthello-curl-ip-no-sni.bin", 0, host, sizeof(host)), -ENOENT);
	/* Every cut before the name ends asks for more; none crashes. */
	for (size_t cut = 1; cut < 140; cut++) {
		int r = sni_of("clienthello-curl-api.openai.com.bin", cut, host, sizeof(host));

		cr_assert_eq(r, -EAGAIN, "cut %zu: %d", cut, r);
	}
	cr_assert_eq(sni_of("clienthello-curl-api.openai.com.bin", 0, host, 8), -EINVAL,
		     "a name longer than the buffer is refused, not cut");
}

Test(sni, not_a_client_hello)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	static const uint8_t appdata[] = { 0x17, 0x03, 0x03, 0x00, 0x10, 0x01 };
	char host[64];

	cr_assert_eq(sni__parse(http, sizeof(http) - 1, host, sizeof(host)), -EINVAL);
	cr_assert_eq(sni__parse(appdata, sizeof(appdata), host, sizeof(host)), -EINVAL);
}

Test(llm_hosts, builtin_and_patterns)
{
	struct llm_hosts h = { 0 };

	cr_assert(llm_hosts__match(&h, "api.openai.com"));
	cr_assert(llm_hosts__match(&h, "API.Anthropic.com."));
	cr_assert(llm_hosts__match(&h, "myres.openai.azure.com:443"));
	cr_assert(llm_hosts__match(&h, "bedrock-runtime.us-east-1.amazonaws.com"));
	cr_assert_not(llm_hosts__match(&h, "s3.us-east-1.amazonaws.com"));
	cr_assert_not(llm_hosts__match(&h, "api.openai.com.evil.example"));
	cr_assert_not(llm_hosts__match(&h, "llm.internal"));
	cr_assert_eq(llm_hosts__add(&h, "*.internal"), 0);
	cr_assert(llm_hosts__match(&h, "llm.internal"));
	for (int i = 1; i < LLM_HOSTS_MAX; i++)
		cr_assert_eq(llm_hosts__add(&h, "x"), 0);
	cr_assert_eq(llm_hosts__add(&h, "y"), -ENOSPC);
}

static enum promote_reason judge(const void *data, size_t n, char *what, struct promote_stats *st)
{
	static struct ar_first_write w;

	memset(&w, 0, sizeof(w));
	w.hdr.type = AR_EV_FIRST_WRITE;
	w.len = n;
	w.call_len = n;
	memcpy(w.data, data, n);
	return promote__judge(NULL, &w, sizeof(w), what, 128, st);
}

Test(promote, first_writes)
{
	struct promote_stats st = { 0 };
	char what[128];
	size_t len;
	char *hello = test_slurp(TLS_FIX "clienthello-python-api.anthropic.com.bin", &len);
	static const char chat[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: 10.0.0.5:8000\r\n"
				   "Content-Type: application/json\r\n\r\n{\"model\":";
	static const char gemini[] = "POST /v1beta/models/gemini-2.0-flash:generateContent HTTP/1.1\r\n";
	static const char byhost[] = "GET /v1/models HTTP/1.1\r\nHost: api.mistral.ai\r\n\r\n";
	static const char mcp[] = "POST /mcp HTTP/1.1\r\nHost: tools:9000\r\nContent-Length: 60\r\n\r\n"
				  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
	static const char health[] = "GET /healthz HTTP/1.1\r\nHost: 10.0.0.7\r\n\r\n";
	static const char pg[] = "\x00\x00\x00\x08\x04\xd2\x16\x2f";

	cr_assert_eq(judge(hello, len, what, &st), PROMOTE_SNI);
	cr_assert_str_eq(what, "api.anthropic.com");
	cr_assert_eq(judge(chat, sizeof(chat) - 1, what, &st), PROMOTE_HTTP_PATH);
	cr_assert_str_eq(what, "/v1/chat/completions");
	cr_assert_eq(judge(gemini, sizeof(gemini) - 1, what, &st), PROMOTE_HTTP_PATH);
	cr_assert_eq(judge(byhost, sizeof(byhost) - 1, what, &st), PROMOTE_HTTP_HOST);
	cr_assert_str_eq(what, "api.mistral.ai");
	cr_assert_eq(judge(mcp, sizeof(mcp) - 1, what, &st), PROMOTE_MCP);
	cr_assert_eq(judge(health, sizeof(health) - 1, what, &st), PROMOTE_NO);
	cr_assert_eq(judge(pg, sizeof(pg) - 1, what, &st), PROMOTE_NO);
	cr_assert_eq(st.seen, 7);
	cr_assert_eq(st.tls, 1);
	cr_assert_eq(st.promoted[PROMOTE_NO], 2);
	free(hello);
}

Test(promote, short_or_lying_records_are_counted)
{
	struct promote_stats st = { 0 };
	struct ar_first_write w = { 0 };
	char what[16];

	w.len = AR_FIRST_WRITE_MAX + 1;
	cr_assert_eq(promote__judge(NULL, &w, sizeof(w), what, sizeof(what), &st), PROMOTE_NO);
	w.len = 10;
	cr_assert_eq(promote__judge(NULL, &w, offsetof(struct ar_first_write, data) + 5, what,
				    sizeof(what), &st), PROMOTE_NO);
	cr_assert_eq(st.malformed, 2);
	cr_assert_eq(st.seen, 0);
}

static size_t tls_rec(struct ar_data_event *ev, uint32_t pid, uint8_t dir, bool tls)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = AR_EV_DATA;
	ev->hdr.flags = tls ? AR_F_TLS : 0;
	ev->hdr.tgid = pid;
	ev->dir = dir;
	return sizeof(*ev);
}

Test(promote, first_tls_record_tells_on_time_late_and_unseen)
{
	struct promote_pending p = { 0 };
	struct promote_stats st = { 0 };
	struct ar_data_event ev;

	promote__await(&p, 100);
	promote__await(&p, 200);
	promote__await(&p, 400);
	cr_assert_eq(promote__first_tls(&p, &ev, tls_rec(&ev, 300, AR_DIR_EGRESS, true), &st), 0);
	cr_assert_eq(promote__first_tls(&p, &ev, tls_rec(&ev, 100, AR_DIR_EGRESS, false), &st), 0,
		     "socket plaintext is not the TLS stream");
	cr_assert_eq(promote__first_tls(&p, &ev, tls_rec(&ev, 100, AR_DIR_EGRESS, true), &st), 1);
	cr_assert_eq(promote__first_tls(&p, &ev, tls_rec(&ev, 100, AR_DIR_INGRESS, true), &st), 0,
		     "only the first record counts");
	cr_assert_eq(promote__first_tls(&p, &ev, tls_rec(&ev, 200, AR_DIR_INGRESS, true), &st), -1);
	cr_assert_eq(st.on_time, 1);
	cr_assert_eq(st.late, 1);
	cr_assert_eq(promote__exit(&p, 100, &st), 0, "its first plaintext was seen");
	cr_assert_eq(promote__exit(&p, 300, &st), 0, "never awaited");
	cr_assert_eq(promote__exit(&p, 400, &st), 1, "exited before any plaintext");
	cr_assert_eq(promote__exit(&p, 400, &st), 0, "counted once");
	cr_assert_eq(st.unseen, 1);
}
