// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/otlp_json.h"
#include "export/otlp_resource.h"
#include "export/utf8.h"

#ifndef AGENTRACE_VERSION
#define AGENTRACE_VERSION "0.0.0"
#endif

/*
 * Builders return NULL on -ENOMEM. put() takes ownership of v and records
 * any failure in *oom, so a tree is built straight through and checked once.
 */
static void put(json_t *o, const char *key, json_t *v, bool *oom)
{
	if (!v || json_object_set_new(o, key, v))
		*oom = true;
}

static void append(json_t *a, json_t *v, bool *oom)
{
	if (!v || json_array_append_new(a, v))
		*oom = true;
}

/* A JSON string of s, repairing invalid UTF-8 (jansson rejects it). */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *fixed;

	if (j)
		return j;
	fixed = utf8__sanitize(s);
	if (!fixed)
		return NULL;
	j = json_string(fixed);
	free(fixed);
	return j;
}

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

static json_t *ju64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *ji64(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

/* The proto3 JSON mapping spells non-finite doubles as strings. */
static json_t *jdouble(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

static json_t *any_value(const struct attr *a)
{
	json_t *v = json_object(), *arr;
	bool oom = !v;

	if (oom)
		return NULL;
	switch (a->type) {
	case ATTR_STR:
		put(v, "stringValue", jstr(a->s), &oom);
		break;
	case ATTR_INT:
		put(v, "intValue", ji64(a->i), &oom);
		break;
	case ATTR_DOUBLE:
		put(v, "doubleValue", jdouble(a->d), &oom);
		break;
	case ATTR_BOOL:
		put(v, "boolValue", json_boolean(a->b), &oom);
		break;
	case ATTR_STR_ARRAY:
		arr = json_array();
		for (size_t i = 0; arr && i < a->arr.n; i++) {
			json_t *e = json_object();

			if (e)
				put(e, "stringValue", jstr(a->arr.v[i]), &oom);
			append(arr, e, &oom);
		}
		if (arr) {
			json_t *av = json_object();

			if (av)
				put(av, "values", arr, &oom);
			else
				json_decref(arr);
			put(v, "arrayValue", av, &oom);
		} else {
			oom = true;
		}
		break;
	}
	if (oom) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static json_t *key_values(const struct attr_list *l)
{
	json_t *arr = json_array();
	bool oom = !arr;

	for (size_t i = 0; !oom && i < l->n; i++) {
		json_t *kv = json_object();

		if (kv) {
			put(kv, "key", jstr(l->v[i].key), &oom);
			put(kv, "value", any_value(&l->v[i]), &oom);
		}
		append(arr, kv, &oom);
	}
	if (oom) {
		json_decref(arr);
		return NULL;
	}
	return arr;
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
	put(o, "traceId", jhex(s->trace_id, sizeof(s->trace_id)), &oom);
	put(o, "spanId", jhex(s->span_id, sizeof(s->span_id)), &oom);
	if (s->trace_state && s->trace_state[0])
		put(o, "traceState", jstr(s->trace_state), &oom);
	if (!all_zero(s->parent_span_id, sizeof(s->parent_span_id)))
		put(o, "parentSpanId", jhex(s->parent_span_id, sizeof(s->parent_span_id)),
		    &oom);
	put(o, "flags", json_integer(s->trace_flags), &oom);
	put(o, "name", jstr(s->name), &oom);
	put(o, "kind", json_integer(s->kind), &oom);
	put(o, "startTimeUnixNano", ju64(s->start_ns), &oom);
	put(o, "endTimeUnixNano", ju64(s->end_ns), &oom);
	put(o, "attributes", key_values(&s->attrs), &oom);
	events = json_array();
	for (size_t i = 0; events && i < s->n_events; i++) {
		json_t *e = json_object();

		if (e) {
			put(e, "timeUnixNano", ju64(s->events[i].time_ns), &oom);
			put(e, "name", jstr(s->events[i].name), &oom);
			put(e, "attributes", key_values(&s->events[i].attrs), &oom);
		}
		append(events, e, &oom);
	}
	put(o, "events", events, &oom);
	links = json_array();
	for (size_t i = 0; links && i < s->n_links; i++) {
		json_t *l = json_object();

		if (l) {
			put(l, "traceId", jhex(s->links[i].trace_id, 16), &oom);
			put(l, "spanId", jhex(s->links[i].span_id, 8), &oom);
			put(l, "attributes", key_values(&s->links[i].attrs), &oom);
		}
		append(links, l, &oom);
	}
	if (s->n_links)
		put(o, "links", links, &oom);
	else
		json_decref(links);
	status = json_object();
	if (status) {
		if (s->status_message && s->status_message[0])
			put(status, "message", jstr(s->status_message), &oom);
		put(status, "code", json_integer(s->status), &oom);
	}
	put(o, "status", status, &oom);
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
		append(spans, json_span(g->spans[i]), &oom);
	put(res, "attributes", key_values(&g->attrs), &oom);
	put(scope, "name", json_string(OTLP_SCOPE_NAME), &oom);
	put(scope, "version", json_string(AGENTRACE_VERSION), &oom);
	put(ss, "scope", scope, &oom);
	put(ss, "spans", spans, &oom);
	append(ssv, ss, &oom);
	put(rs, "resource", res, &oom);
	put(rs, "scopeSpans", ssv, &oom);
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
		append(rsv, json_resource_spans(&groups.v[i]), &oom);
	put(root, "resourceSpans", rsv, &oom);
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
		rej = json_object_get(ps, "rejectedSpans");
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
