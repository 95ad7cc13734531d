// SPDX-License-Identifier: MIT
/* The MCP span, after the OpenTelemetry MCP conventions
 * (semantic-conventions-genai model/mcp: spans.yaml, common.yaml). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genai/semconv.h"
#include "tools/digest.h"
#include "tools/mcp.h"
#include "tools/names.h"
#include "tools/schema_hash.h"
#include "tools/url.h"

#define MCP_NAME_MAX 256     /* span name */
#define MCP_STATUS_MSG_MAX 256

static bool method_is(const struct mcp_req *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

/* jsonrpc.request.id: strings as they are, numbers in decimal. */
static char *id_string(const json_t *id)
{
	char num[32];

	if (json_is_string(id))
		return strdup(json_string_value(id));
	if (json_is_integer(id)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		return strdup(num);
	}
	if (json_is_real(id)) {
		snprintf(num, sizeof(num), "%.17g", json_real_value(id));
		return strdup(num);
	}
	return json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int set_header(struct span *s, const char *key, const struct http_message *m,
		      const char *name)
{
	const struct header_view *h = http_message__header(m, name, 0);

	if (!h || !h->value_len)
		return 1;
	return attrs__set_strn(&s->attrs, key, h->value, h->value_len);
}

static const json_t *params(const struct mcp_req *r)
{
	return r->primary ? json_object_get(r->primary, "params") : NULL;
}

static const json_t *result(const struct mcp_answer *a)
{
	return a->resp ? json_object_get(a->resp, "result") : NULL;
}

/* session and protocol version: the request's headers, else what the
 * initialize exchange negotiated. */
static int set_session(struct span *s, const struct http_exchange *x, const struct mcp_req *r,
		       const struct mcp_answer *a)
{
	bool init = method_is(r, "initialize");
	const char *v;
	int ret, err = 0;

	ret = set_header(s, TN_MCP_SESSION_ID, &x->req, "mcp-session-id");
	if (ret > 0 && init)
		ret = set_header(s, TN_MCP_SESSION_ID, &x->resp, "mcp-session-id");
	err |= ret < 0;
	ret = set_header(s, TN_MCP_PROTOCOL_VERSION, &x->req, "mcp-protocol-version");
	if (ret > 0 && init) {
		v = json_string_value(json_object_get(result(a), "protocolVersion"));
		if (!v)
			v = json_string_value(json_object_get(params(r), "protocolVersion"));
		ret = v ? span__set_str(s, TN_MCP_PROTOCOL_VERSION, v) : 0;
	}
	err |= ret < 0;
	return err ? -ENOMEM : 0;
}

static int set_request(struct span *s, const struct mcp_req *r, const struct mcp_answer *a)
{
	const json_t *id = r->id;
	char *ids;
	int err = 0;

	err |= span__set_str(s, TN_MCP_METHOD_NAME, r->method);
	/* a request whose body we lost still has its id in the response */
	if (!id && !r->primary && a->resp)
		id = json_object_get(a->resp, "id");
	if (id && !json_is_null(id)) {
		ids = id_string(id);
		err |= ids ? span__set_str(s, TN_JSONRPC_REQUEST_ID, ids) : -ENOMEM;
		free(ids);
	}
	if (method_is(r, "tools/call")) {
		err |= span__set_str(s, SC_GEN_AI_OPERATION_NAME, TN_OP_EXECUTE_TOOL);
		if (r->name)
			err |= span__set_str(s, SC_GEN_AI_TOOL_NAME, r->name);
	} else if (method_is(r, "prompts/get") && r->name) {
		err |= span__set_str(s, TN_GEN_AI_PROMPT_NAME, r->name);
	} else if ((method_is(r, "resources/read") || method_is(r, "resources/subscribe") ||
		    method_is(r, "resources/unsubscribe") ||
		    method_is(r, "notifications/resources/updated")) && r->name) {
		char *uri = url__redact_uri(r->name);

		err |= uri ? span__set_str(s, TN_MCP_RESOURCE_URI, uri) : -ENOMEM;
		free(uri);
	}
	if (r->batch)
		err |= span__set_int(s, TN_MCP_BATCH_SIZE, (int64_t)r->batch);
	err |= span__set_str(s, TN_NETWORK_TRANSPORT, TN_TRANSPORT_TCP);
	err |= span__set_str(s, TN_NETWORK_PROTOCOL_NAME, TN_PROTOCOL_HTTP);
	return err ? -ENOMEM : 0;
}

/* JSON-RPC codes a server answers for the caller's mistakes; the server
 * side does not count them as its errors (common.yaml). */
static bool caller_fault(json_int_t c)
{
	return c == -32700 || c == -32600 || c == -32601 || c == -32602 || c == -32002;
}

static int set_rpc_error(struct span *s, const json_t *e, bool server)
{
	const json_t *code = json_object_get(e, "code");
	const char *msg = json_string_value(json_object_get(e, "message"));
	char num[32];
	int err = 0;

	if (!json_is_integer(code))
		return tools_span__error(s, SC_ERR_OTHER);
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(code));
	err |= span__set_str(s, TN_RPC_RESPONSE_STATUS_CODE, num);
	if (server && caller_fault(json_integer_value(code)))
		return err ? -ENOMEM : 0;
	err |= tools_span__error(s, num);
	/* the conventions ask for JSONRPCError.message as the description */
	if (msg && !err) {
		s->status_message = strndup(msg, strnlen(msg, MCP_STATUS_MSG_MAX));
		err |= !s->status_message;
	}
	return err ? -ENOMEM : 0;
}

static int set_error(struct tools *t, struct span *s, const struct http_exchange *x,
		     const struct mcp_req *r, const struct mcp_answer *a)
{
	bool server = s->kind == SPAN_KIND_SERVER;
	const json_t *res = result(a);
	char num[16];

	if (x->status >= 400)
		t->st.http_errors++;
	if (x->status == 0) {
		t->st.incomplete++;
		return tools_span__error(s, SC_ERR_NO_RESPONSE);
	}
	if (a->error)
		return set_rpc_error(s, json_object_get(a->error, "error"), server);
	if (x->status >= 500 || (x->status >= 400 && !server)) {
		snprintf(num, sizeof(num), "%d", x->status);
		return tools_span__error(s, num);
	}
	if (method_is(r, "tools/call") && json_is_true(json_object_get(res, "isError")))
		return tools_span__error(s, TN_ERR_TOOL_ERROR);
	if (!r->id || a->resp || x->status >= 400 || tools__resp_cut(x))
		return 0;
	if (!x->resp_complete) {
		t->st.incomplete++;
		return tools_span__error(s, a->sse ? SC_ERR_STREAM_INCOMPLETE
						   : SC_ERR_RESPONSE_INCOMPLETE);
	}
	t->st.no_rpc_response++;
	return tools_span__error(s, TN_ERR_NO_RPC_RESPONSE);
}

/* Sets key to the canonical (compact, sorted keys) JSON of v. */
static int set_json(struct tools *t, struct span *s, const char *key, const json_t *v,
		    bool content)
{
	char *d;
	int err;

	if (!v)
		return 0;
	d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!d)
		return -ENOMEM;
	err = content ? tools__set_content(t, s, key, d, strlen(d))
		      : tools__set_hash(t, s, key, d, strlen(d));
	free(d);
	return err;
}

/* tools/call: hashes of the canonical arguments and result, and the
 * result's structure, so MCP tools get the same drift signals as
 * black-box ones; the arguments and result themselves only as content. */
static int set_tool_payload(struct tools *t, struct span *s, const struct mcp_req *r,
			    const struct mcp_answer *a)
{
	const json_t *args = json_object_get(params(r), "arguments"), *res = result(a);
	char hex[DIGEST_HEX_LEN];
	uint64_t h;
	int err = 0, ret;

	err |= set_json(t, s, TN_TOOL_INPUT_HASH, args, false);
	err |= set_json(t, s, TN_TOOL_OUTPUT_HASH, res, false);
	if (res) {
		ret = schema_hash__value(res, &h);
		if (ret == -ENOMEM)
			return -ENOMEM;
		if (ret == -E2BIG)
			t->st.schema_too_big++;
		if (!ret) {
			digest__hex(h, hex);
			err |= span__set_str(s, TN_TOOL_SCHEMA_HASH, hex);
			t->st.schema_hashes++;
		}
	}
	if (t->cfg.capture_content) {
		err |= set_json(t, s, SC_GEN_AI_TOOL_CALL_ARGUMENTS, args, true);
		err |= set_json(t, s, TN_GEN_AI_TOOL_CALL_RESULT, res, true);
	}
	return err ? -ENOMEM : 0;
}

/* prompts/get arguments as gen_ai.prompt.variable.<name> (content). */
static int set_prompt_vars(struct tools *t, struct span *s, const struct mcp_req *r)
{
	const json_t *args = json_object_get(params(r), "arguments"), *v;
	const char *k;
	char key[128];
	int err = 0;

	json_object_foreach((json_t *)args, k, v) {
		snprintf(key, sizeof(key), "%s%s", TN_GEN_AI_PROMPT_VARIABLE, k);
		if (json_is_string(v))
			err |= tools__set_content(t, s, key, json_string_value(v),
						  json_string_length(v));
		else
			err |= set_json(t, s, key, v, true);
	}
	return err ? -ENOMEM : 0;
}

struct span *mcp__span(struct tools *t, const struct http_exchange *x, const struct mcp_req *r,
		       const struct mcp_reader *rd, uint64_t mono_to_real_ns)
{
	const struct mcp_answer *a = mcp_reader__answer(rd);
	bool targeted = method_is(r, "tools/call") || method_is(r, "prompts/get");
	char name[MCP_NAME_MAX];
	struct span *s;
	int err = 0;

	t->st.json_errors += a->json_errors;
	t->st.ids_dropped += r->ids_dropped;
	t->st.sse_errors += a->sse_errors;
	/* resource URIs stay out of the name: high cardinality (spans.yaml) */
	if (targeted && r->name)
		snprintf(name, sizeof(name), "%s %s", r->method, r->name);
	else
		snprintf(name, sizeof(name), "%s", r->method);
	s = tools_span__new(x, name, mono_to_real_ns);
	if (!s)
		return NULL;
	err |= set_request(s, r, a);
	err |= set_session(s, x, r, a);
	err |= tools_span__net(s, x);
	err |= set_error(t, s, x, r, a);
	if (method_is(r, "tools/call"))
		err |= set_tool_payload(t, s, r, a);
	else if (method_is(r, "prompts/get") && t->cfg.capture_content)
		err |= set_prompt_vars(t, s, r);
	if (err) {
		span__free(s);
		return NULL;
	}
	return s;
}
