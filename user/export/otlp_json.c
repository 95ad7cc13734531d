// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/otlp_json.h"
#include "export/otlp_json_kv.h"
#include "export/otlp_resource.h"
#include "export/utf8.h"

#ifndef AGENTRACE_VERSION
#define AGENTRACE_VERSION "0.0.0"
#endif

static json_t *jhex(const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[2 * 16 + 1];

	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[b[i] >> 4];
		buf[2 * i + 1] = digits[b[i] & 15];
	}
	buf[2 * n] = '\0';
	return json_string(buf);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static json_t *json_span(const struct span *s)
{
	json_t *o = json_object(), *events, *links, *status;
	bool oom = !o;

	if (oom)
		return NULL;
	ojson__put(o, "traceId", jhex(s->trace_id, sizeof(s->trace_id)), &oom);
	ojson__put(o, "spanId", jhex(s->span_id, sizeof(s->span_id)), &oom);
	if (s->trace_state && s->trace_state[0])
		ojson__put(o, "traceState", ojson__str(s->trace_state), &oom);
	if (!all_zero(s->parent_span_id, sizeof(s->parent_span_id)))
		ojson__put(o, "parentSpanId", jhex(s->parent_span_id, sizeof(s->parent_span_id)),
		    &oom);
	ojson__put(o, "flags", json_integer(s->trace_flags), &oom);
	ojson__put(o, "name", ojson__str(s->name), &oom);
	ojson__put(o, "kind", json_integer(s->kind), &oom);
	ojson__put(o, "startTimeUnixNano", ojson__u64(s->start_ns), &oom);
	ojson__put(o, "endTimeUnixNano", ojson__u64(s->end_ns), &oom);
	ojson__put(o, "attributes", ojson__key_values(&s->attrs), &oom);
	events = json_array();
	for (size_t i = 0; events && i < s->n_events; i++) {
		json_t *e = json_object();

		if (e) {
			ojson__put(e, "timeUnixNano", ojson__u64(s->events[i].time_ns), &oom);
			ojson__put(e, "name", ojson__str(s->events[i].name), &oom);
			ojson__put(e, "attributes", ojson__key_values(&s->events[i].attrs), &oom);
		}
		ojson__append(events, e, &oom);
	}
	ojson__put(o, "events", events, &oom);
	links = json_array();
	for (size_t i = 0; links && i < s->n_links; i++) {
		json_t *l = json_object();

		if (l) {
			ojson__put(l, "traceId", jhex(s->links[i].trace_id, 16), &oom);
			ojson__put(l, "spanId", jhex(s->links[i].span_id, 8), &oom);
			ojson__put(l, "attributes", ojson__key_values(&s->links[i].attrs), &oom);
		}
		ojson__append(links, l, &oom);
	}
	if (s->n_links)
		ojson__put(o, "links", links, &oom);
	else
		json_decref(links);
	status = json_object();
	if (status) {
		if (s->status_message && s->status_message[0])
			ojson__put(status, "message", ojson__str(s->status_message), &oom);
		ojson__put(status, "code", json_integer(s->status), &oom);
	}
	ojson__put(o, "status", status, &oom);
	if (oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *json_resource_spans(const struct otlp_group *g)
{
	json_t *rs = json_object(), *res = json_object(), *scope = json_object();
	json_t *ss = json_object(), *ssv = json_array(), *spans = json_array();
	bool oom = !rs || !res || !scope || !ss || !ssv || !spans;

	if (oom)
		goto cleanup;
	for (size_t i = 0; i < g->n; i++)
		ojson__append(spans, json_span(g->spans[i]), &oom);
	ojson__put(res, "attributes", ojson__key_values(&g->attrs), &oom);
	ojson__put(scope, "name", json_string(OTLP_SCOPE_NAME), &oom);
	ojson__put(scope, "version", json_string(AGENTRACE_VERSION), &oom);
	ojson__put(ss, "scope", scope, &oom);
	ojson__put(ss, "spans", spans, &oom);
	ojson__append(ssv, ss, &oom);
	ojson__put(rs, "resource", res, &oom);
	ojson__put(rs, "scopeSpans", ssv, &oom);
	if (!oom)
		return rs;
	json_decref(rs);
	return NULL;
cleanup:
	json_decref(rs);
	json_decref(res);
	json_decref(scope);
	json_decref(ss);
	json_decref(ssv);
	json_decref(spans);
	return NULL;
}

char *otlp_json__encode(struct span *const *spans, size_t n, const struct attr_list *resource)
{
	struct otlp_groups groups;
	json_t *root = NULL, *rsv;
	char *out = NULL;
	bool oom = false;

	if (otlp_groups__build(&groups, spans, n, resource))
		return NULL;
	root = json_object();
	rsv = json_array();
	if (!root || !rsv) {
		json_decref(rsv);
		goto cleanup;
	}
	for (size_t i = 0; i < groups.n; i++)
		ojson__append(rsv, json_resource_spans(&groups.v[i]), &oom);
	ojson__put(root, "resourceSpans", rsv, &oom);
	if (!oom)
		out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
cleanup:
	json_decref(root);
	otlp_groups__release(&groups);
	return out;
}

int otlp_json__parse_response(const char *buf, size_t len, int64_t *rejected,
			      char *msg, size_t msgsz)
{
	return otlp_json__parse_partial(buf, len, "rejectedSpans", rejected, msg, msgsz);
}

int otlp_json__parse_partial(const char *buf, size_t len, const char *key, int64_t *rejected,
			     char *msg, size_t msgsz)
{
	json_t *root, *ps, *rej, *em;

	*rejected = 0;
	if (msgsz)
		msg[0] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
		len--;
	if (!len)
		return 0;
	root = json_loadb(buf, len, 0, NULL);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return -EBADMSG;
	}
	ps = json_object_get(root, "partialSuccess");
	if (json_is_object(ps)) {
		rej = json_object_get(ps, key);
		if (json_is_integer(rej))
			*rejected = json_integer_value(rej);
		else if (json_is_string(rej))
			*rejected = strtoll(json_string_value(rej), NULL, 10);
		em = json_object_get(ps, "errorMessage");
		if (json_is_string(em) && msgsz)
			snprintf(msg, msgsz, "%s", json_string_value(em));
	}
	json_decref(root);
	return 0;
}
