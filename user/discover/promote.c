// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "discover/promote.h"
#include "discover/sni.h"

/* Request paths of the LLM APIs user/genai/ reads (OpenAI and compatible
 * servers, Anthropic, Gemini, Ollama, Bedrock), matched as substrings of
 * the request target. */
static const char *const llm_paths[] = {
	"/chat/completions", "/v1/completions", "/v1/messages", "/v1/responses",
	"/v1/embeddings", ":generateContent", ":streamGenerateContent", "/api/chat",
	"/api/generate", "/converse", "/invoke-with-response-stream",
};

const char *promote__reason_name(enum promote_reason r)
{
	static const char *const names[] = {
		[PROMOTE_NO] = "none", [PROMOTE_SNI] = "sni", [PROMOTE_HTTP_PATH] = "http_path",
		[PROMOTE_HTTP_HOST] = "http_host", [PROMOTE_MCP] = "mcp",
	};

	return r <= PROMOTE_MCP ? names[r] : "?";
}

/* Searches needle in h[0..n) (h need not be NUL-terminated). */
static const char *find(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (!memcmp(h + i, needle, k))
			return h + i;
	return NULL;
}

static void set_what(char *what, size_t cap, const char *p, size_t n)
{
	snprintf(what, cap, "%.*s", (int)n, p);
}

enum promote_reason promote__judge_http(const struct llm_hosts *hosts, const char *p, size_t n,
				       char *what, size_t cap)
{
	const char *sp = memchr(p, ' ', n < 16 ? n : 16), *end, *host;
	size_t tlen;

	if (!sp || sp == p)
		return PROMOTE_NO;
	for (const char *c = p; c < sp; c++)
		if (*c < 'A' || *c > 'Z')
			return PROMOTE_NO;
	end = memchr(sp + 1, ' ', n - (sp + 1 - p));
	if (!end)
		return PROMOTE_NO;
	tlen = end - (sp + 1);
	for (size_t i = 0; i < sizeof(llm_paths) / sizeof(llm_paths[0]); i++)
		if (find(sp + 1, tlen, llm_paths[i])) {
			set_what(what, cap, sp + 1, tlen);
			return PROMOTE_HTTP_PATH;
		}
	host = find(p, n, "\r\nHost: ");
	if (!host)
		host = find(p, n, "\r\nhost: ");
	if (host) {
		const char *v = host + 8, *eol = memchr(v, '\r', n - (v - p));
		char name[256];

		if (eol && (size_t)(eol - v) < sizeof(name)) {
			set_what(name, sizeof(name), v, eol - v);
			if (llm_hosts__match(hosts, name)) {
				set_what(what, cap, v, eol - v);
				return PROMOTE_HTTP_HOST;
			}
		}
	}
	if (find(p, n, "\"jsonrpc\"") && find(p, n, "\"method\"")) {
		set_what(what, cap, sp + 1, tlen);
		return PROMOTE_MCP;
	}
	return PROMOTE_NO;
}

enum promote_reason promote__judge(const struct llm_hosts *hosts, const void *rec, size_t len,
				   char *what, size_t cap, struct promote_stats *st)
{
	const struct ar_first_write *w = rec;
	enum promote_reason r = PROMOTE_NO;
	size_t n;

	what[0] = 0;
	if (len < offsetof(struct ar_first_write, data) || w->len > AR_FIRST_WRITE_MAX ||
	    len < offsetof(struct ar_first_write, data) + w->len) {
		st->malformed++;
		return PROMOTE_NO;
	}
	st->seen++;
	n = w->len;
	if (n >= 1 && w->data[0] == 0x16) {
		char host[256];

		st->tls++;
		if (sni__parse(w->data, n, host, sizeof(host))) {
			st->tls_no_sni++;
		} else if (llm_hosts__match(hosts, host)) {
			snprintf(what, cap, "%s", host);
			r = PROMOTE_SNI;
		}
	} else {
		r = promote__judge_http(hosts, (const char *)w->data, n, what, cap);
	}
	st->promoted[r]++;
	return r;
}

void promote__await(struct promote_pending *p, uint32_t pid)
{
	p->pid[p->next++ % PROMOTE_PENDING_MAX] = pid;
}

int promote__first_tls(struct promote_pending *p, const void *rec, size_t len,
		       struct promote_stats *st)
{
	const struct ar_data_event *ev = rec;

	if (len < sizeof(*ev) || !(ev->hdr.flags & AR_F_TLS) || !ev->hdr.tgid)
		return 0;
	for (unsigned i = 0; i < PROMOTE_PENDING_MAX; i++) {
		if (p->pid[i] != ev->hdr.tgid)
			continue;
		p->pid[i] = 0;
		if (ev->dir == AR_DIR_EGRESS) {
			st->on_time++;
			return 1;
		}
		st->late++;
		return -1;
	}
	return 0;
}

int promote__exit(struct promote_pending *p, uint32_t pid, struct promote_stats *st)
{
	for (unsigned i = 0; i < PROMOTE_PENDING_MAX && pid; i++)
		if (p->pid[i] == pid) {
			p->pid[i] = 0;
			st->unseen++;
			return 1;
		}
	return 0;
}
