// SPDX-License-Identifier: MIT
/*
 * Black-box tool calls: any HTTP exchange that is neither gen_ai nor MCP
 * becomes an HTTP client span (HTTP semantic conventions, stable) plus
 * stable hashes of what went in and out:
 *  - tool.input.hash / tool.output.hash: XXH3-64 of the request/response
 *    body after Content-Encoding decoding; absent for an empty body (there
 *    is nothing to compare) and for a body we did not see whole;
 *  - tool.schema.hash: the response's JSON structure (schema_hash.h);
 *    absent for non-JSON and for bodies we did not see whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genai/semconv.h"
#include "tools/digest.h"
#include "tools/internal.h"
#include "tools/names.h"
#include "tools/schema_hash.h"
#include "tools/url.h"

/* JSON by media type (application/json, application/problem+json, ...),
 * or an untyped body that starts like a JSON document. */
static bool looks_json(const struct http_message *m)
{
	const char *ct = m->content_type ? m->content_type : "";
	size_t n = strlen(ct), i;

	if ((n >= 4 && strcmp(ct + n - 4, "json") == 0))
		return true;
	if (n && strcmp(ct, "text/plain") != 0)
		return false;
	for (i = 0; i < m->body_len && strchr(" \t\r\n", m->body[i]); i++)
		;
	return i < m->body_len && (m->body[i] == '{' || m->body[i] == '[');
}

static int set_schema(struct tools *t, struct span *s, const struct http_message *m)
{
	char hex[DIGEST_HEX_LEN];
	uint64_t h;
	int ret;

	if (!looks_json(m)) {
		t->st.schema_not_json++;
		return 0;
	}
	ret = schema_hash__text((const char *)m->body, m->body_len, &h);
	if (ret == -ENOMEM)
		return ret;
	if (ret == -EINVAL)
		t->st.schema_not_json++;
	if (ret == -E2BIG)
		t->st.schema_too_big++;
	if (ret)
		return 0;
	t->st.schema_hashes++;
	digest__hex(h, hex);
	return span__set_str(s, TN_TOOL_SCHEMA_HASH, hex);
}

static int set_hashes(struct tools *t, struct span *s, const struct http_exchange *x)
{
	const struct http_message *rq = &x->req, *rs = &x->resp;
	/* a response that ended early is not the whole output either */
	bool resp_cut = tools__resp_cut(x) || (x->status && !x->resp_complete);
	int err = 0;

	if (rq->body_len && tools__req_cut(x))
		t->st.hash_truncated++;
	else
		err |= tools__set_hash(t, s, TN_TOOL_INPUT_HASH, rq->body, rq->body_len);
	if (!rs->body_len)
		return err ? -ENOMEM : 0;
	if (resp_cut) {
		t->st.hash_truncated++;
		return err ? -ENOMEM : 0;
	}
	err |= tools__set_hash(t, s, TN_TOOL_OUTPUT_HASH, rs->body, rs->body_len);
	if (t->cfg.max_hash_bytes && rs->body_len > t->cfg.max_hash_bytes)
		return err ? -ENOMEM : 0; /* counted by tools__set_hash */
	err |= set_schema(t, s, rs);
	return err ? -ENOMEM : 0;
}

/* error.type per the HTTP conventions: the status code for 4xx/5xx on a
 * client span (5xx only when we served it), else why the call ended. */
static int set_error(struct tools *t, struct span *s, const struct http_exchange *x)
{
	char num[16];

	if (x->status >= 400)
		t->st.http_errors++;
	if (x->status == 0) {
		t->st.incomplete++;
		return tools_span__error(s, SC_ERR_NO_RESPONSE);
	}
	if (x->status >= 500 || (x->status >= 400 && s->kind != SPAN_KIND_SERVER)) {
		snprintf(num, sizeof(num), "%d", x->status);
		return tools_span__error(s, num);
	}
	if (!x->resp_complete && !tools__resp_cut(x)) {
		t->st.incomplete++;
		return tools_span__error(s, SC_ERR_RESPONSE_INCOMPLETE);
	}
	return 0;
}

struct span *tools_blackbox__span(struct tools *t, const struct http_exchange *x,
				  uint64_t mono_to_real_ns)
{
	bool known = http_method__known(x->method);
	struct url_server sv;
	struct url_str url;
	struct url_req u;
	struct span *s;
	int err = 0;

	/* HTTP client spans have no low-cardinality target by default, and
	 * the path must not be one: the name is the method alone */
	s = tools_span__new(x, known ? x->method : TN_SPAN_NAME_OTHER, mono_to_real_ns);
	if (!s)
		return NULL;
	err |= span__set_str(s, TN_HTTP_REQUEST_METHOD, known ? x->method : TN_METHOD_OTHER);
	if (!known)
		err |= span__set_str(s, TN_HTTP_REQUEST_METHOD_ORIG, x->method);
	/* one split of target and Host for url.full and server.* */
	url__split(x, &u);
	if (url__full_str(&u, &url) == 0) {
		err |= attrs__set_strn(&s->attrs, TN_URL_FULL, url.s, url.n);
		url_str__release(&url);
	} else {
		err |= -ENOMEM;
	}
	url__server_of(&u, &sv);
	err |= tools_span__net_of(s, x, &sv);
	err |= set_error(t, s, x);
	err |= set_hashes(t, s, x);
	if (err) {
		span__free(s);
		return NULL;
	}
	return s;
}
