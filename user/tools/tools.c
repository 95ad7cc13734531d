// SPDX-License-Identifier: MIT
/* The tools stage's entry point and the pieces every tools span shares. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "conn/stream.h"
#include "genai/semconv.h"
#include "trace/span_exchange.h"
#include "tools/digest.h"
#include "tools/internal.h"
#include "tools/mcp.h"
#include "tools/url.h"

struct tools *tools__new(const struct tools_cfg *cfg)
{
	struct tools *t = calloc(1, sizeof(*t));

	if (t && cfg)
		t->cfg = *cfg;
	return t;
}

void tools__free(struct tools *t)
{
	free(t);
}

void tools__stats(const struct tools *t, struct tools_stats *out)
{
	*out = t->st;
}

struct span *tools_span__new(const struct http_exchange *x, const char *name,
			     uint64_t mono_to_real_ns)
{
	/* we answered it: a socket we accepted (TLS streams do not say) */
	bool served = x->conn && x->conn->role == AR_ROLE_SERVER;

	return span__from_exchange(x, name, served ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT,
				   mono_to_real_ns);
}

int tools_span__net_of(struct span *s, const struct http_exchange *x,
		       const struct url_server *sv)
{
	int err = 0;

	if (sv->addr_len)
		err |= attrs__set_strn(&s->attrs, SC_SERVER_ADDRESS, sv->addr, sv->addr_len);
	if (sv->port)
		err |= span__set_int(s, SC_SERVER_PORT, sv->port);
	if (x->status > 0)
		err |= span__set_int(s, SC_HTTP_RESPONSE_STATUS_CODE, x->status);
	return err ? -ENOMEM : 0;
}

int tools_span__net(struct span *s, const struct http_exchange *x)
{
	struct url_server sv;

	url__server(x, &sv);
	return tools_span__net_of(s, x, &sv);
}

int tools_span__error(struct span *s, const char *type)
{
	s->status = SPAN_STATUS_ERROR;
	return span__set_str(s, SC_ERROR_TYPE, type);
}

bool tools__req_cut(const struct http_exchange *x)
{
	return x->gap || x->req.body_truncated || x->req.decode_failed;
}

/* A response that ended early (the peer closed mid-body) is the call's
 * failure, not our cut; body_truncated alone cannot tell them apart, so
 * a complete message is required for "cut by the cap". */
bool tools__resp_cut(const struct http_exchange *x)
{
	return x->gap || x->resp.decode_failed ||
	       (x->resp.body_truncated && x->resp_complete);
}

int tools__set_hash(struct tools *t, struct span *s, const char *key, const void *buf, size_t n)
{
	char hex[DIGEST_HEX_LEN];

	if (!n)
		return 0;
	if (t->cfg.max_hash_bytes && n > t->cfg.max_hash_bytes) {
		t->st.hash_too_big++;
		return 0;
	}
	digest__hex(digest__bytes(buf, n), hex);
	return attrs__set_strn(&s->attrs, key, hex, DIGEST_HEX_LEN - 1);
}

int tools__set_content(struct tools *t, struct span *s, const char *key, const char *v,
		       size_t n)
{
	if (n > TOOLS_CONTENT_MAX) {
		n = TOOLS_CONTENT_MAX;
		/* back off to the start of a UTF-8 sequence */
		while (n && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
		t->st.content_truncated++;
	}
	return attrs__set_strn(&s->attrs, key, v, n);
}

/* POST .../v1/traces|metrics|logs: an OTLP/HTTP export. */
static bool is_otlp_export(const struct http_exchange *x)
{
	static const char *const tails[] = { "/v1/traces", "/v1/metrics", "/v1/logs" };
	const char *t = x->target ? x->target : "";
	size_t n, k;

	if (strcmp(x->method, "POST") != 0)
		return false;
	n = strcspn(t, "?#");
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		k = strlen(tails[i]);
		if (n >= k && memcmp(t + n - k, tails[i], k) == 0)
			return true;
	}
	return false;
}

static struct span *mcp_span(struct tools *t, const struct http_exchange *x,
			     struct mcp_req *r, uint64_t mono_to_real_ns)
{
	struct mcp_reader *rd = mcp_reader__new(r->ids, r->id, mcp__answer_is_sse(x));
	struct span *s = NULL;

	if (rd && !mcp_reader__whole(rd, (const char *)x->resp.body, x->resp.body_len))
		s = mcp__span(t, x, r, rd, mono_to_real_ns);
	mcp_reader__free(rd);
	return s;
}

struct span *tools__span_from_exchange(struct tools *t, const struct http_exchange *x,
				       uint64_t mono_to_real_ns)
{
	struct mcp_req r;
	struct span *s = NULL;
	int mcp;

	t->st.exchanges++;
	if (!x || !x->method || !x->method[0]) {
		t->st.no_request++;
		return NULL;
	}
	if (is_otlp_export(x)) {
		t->st.telemetry++;
		return NULL;
	}
	if (tools_grpc__is(x)) {
		s = tools_grpc__span(t, x, mono_to_real_ns);
		t->st.grpc_spans += s != NULL;
		mcp = -1;
	} else {
		mcp = mcp_req__parse(&r, x, &t->st.json_errors);
	}
	if (mcp > 0) {
		s = mcp_span(t, x, &r, mono_to_real_ns);
		mcp_req__release(&r);
		t->st.mcp_spans += s != NULL;
	} else if (mcp == 0) {
		s = tools_blackbox__span(t, x, mono_to_real_ns);
		t->st.blackbox_spans += s != NULL;
	}
	if (!s) {
		t->st.nomem++;
		warn("tools: out of memory building a span");
		return NULL;
	}
	t->st.server_spans += s->kind == SPAN_KIND_SERVER;
	return s;
}
