// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_trace.pb-c.h"

#include "export/otlp_pb.h"

static struct span *mk_span(uint32_t pid, const char *svc, uint8_t id, uint8_t parent)
{
	struct span *s = span__new("chat gpt-4o", SPAN_KIND_CLIENT);
	const char *reasons[] = { "stop", "length" };
	struct span_event *ev;

	cr_assert_not_null(s);
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(0xa0 + i);
	memset(s->span_id, 0, 8);
	s->span_id[7] = id;
	s->span_id[0] = 0x11;
	if (parent) {
		s->parent_span_id[0] = 0x11;
		s->parent_span_id[7] = parent;
	}
	s->trace_flags = 1;
	s->start_ns = 1700000000123456789ull;
	s->end_ns = 1700000000987654321ull;
	s->proc.pid = pid;
	snprintf(s->proc.service_name, sizeof(s->proc.service_name), "%s", svc);
	snprintf(s->proc.exe_name, sizeof(s->proc.exe_name), "python3");
	snprintf(s->proc.exe_path, sizeof(s->proc.exe_path), "/usr/bin/python3");
	cr_assert_eq(span__set_str(s, "gen_ai.request.model", "gpt-4o"), 0);
	cr_assert_eq(span__set_int(s, "gen_ai.usage.input_tokens", -42), 0);
	cr_assert_eq(span__set_double(s, "gen_ai.request.temperature", 0.25), 0);
	cr_assert_eq(span__set_bool(s, "gen_ai.request.stream", true), 0);
	cr_assert_eq(attrs__set_str_array(&s->attrs, "gen_ai.response.finish_reasons",
					  reasons, 2), 0);
	ev = span__add_event(s, "gen_ai.tool.call", 1700000000500000000ull);
	cr_assert_not_null(ev);
	cr_assert_eq(attrs__set_str(&ev->attrs, "gen_ai.tool.name", "get_weather"), 0);
	{
		uint8_t lt[16], ls[8] = { 0x22, 0, 0, 0, 0, 0, 0, id };
		struct span_link *l;

		memset(lt, 0x5a, sizeof(lt));
		l = span__add_link(s, lt, ls);
		cr_assert_not_null(l);
		cr_assert_eq(attrs__set_str(&l->attrs, "gen_ai.tool.call.id", "call_1"), 0);
	}
	return s;
}

static void assert_attrs_equal(const struct attr_list *a, const struct attr_list *b)
{
	cr_assert_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct attr *x = &a->v[i], *y = attrs__get(b, a->v[i].key);

		cr_assert_not_null(y, "missing %s", x->key);
		cr_assert_eq(x->type, y->type);
		switch (x->type) {
		case ATTR_STR:
			cr_assert_str_eq(x->s, y->s);
			break;
		case ATTR_INT:
			cr_assert_eq(x->i, y->i);
			break;
		case ATTR_DOUBLE:
			cr_assert_eq(x->d, y->d);
			break;
		case ATTR_BOOL:
			cr_assert_eq(x->b, y->b);
			break;
		case ATTR_STR_ARRAY:
			cr_assert_eq(x->arr.n, y->arr.n);
			for (size_t j = 0; j < x->arr.n; j++)
				cr_assert_str_eq(x->arr.v[j], y->arr.v[j]);
			break;
		}
	}
}

static void assert_span_equal(const struct span *a, const struct span *b)
{
	cr_assert_arr_eq(a->trace_id, b->trace_id, 16);
	cr_assert_arr_eq(a->span_id, b->span_id, 8);
	cr_assert_arr_eq(a->parent_span_id, b->parent_span_id, 8);
	cr_assert_eq(a->trace_flags, b->trace_flags);
	cr_assert_str_eq(a->name, b->name);
	cr_assert_eq(a->kind, b->kind);
	cr_assert_eq(a->start_ns, b->start_ns);
	cr_assert_eq(a->end_ns, b->end_ns);
	cr_assert_eq(a->status, b->status);
	if (a->status_message)
		cr_assert_str_eq(a->status_message, b->status_message);
	else
		cr_assert_null(b->status_message);
	if (a->trace_state)
		cr_assert_str_eq(a->trace_state, b->trace_state);
	else
		cr_assert_null(b->trace_state);
	assert_attrs_equal(&a->attrs, &b->attrs);
	cr_assert_eq(a->n_events, b->n_events);
	for (size_t i = 0; i < a->n_events; i++) {
		cr_assert_str_eq(a->events[i].name, b->events[i].name);
		cr_assert_eq(a->events[i].time_ns, b->events[i].time_ns);
		assert_attrs_equal(&a->events[i].attrs, &b->events[i].attrs);
	}
	cr_assert_eq(a->n_links, b->n_links);
	for (size_t i = 0; i < a->n_links; i++) {
		cr_assert_arr_eq(a->links[i].trace_id, b->links[i].trace_id, 16);
		cr_assert_arr_eq(a->links[i].span_id, b->links[i].span_id, 8);
		assert_attrs_equal(&a->links[i].attrs, &b->links[i].attrs);
	}
	cr_assert_eq(a->proc.pid, b->proc.pid);
	cr_assert_str_eq(a->proc.service_name, b->proc.service_name);
	cr_assert_str_eq(a->proc.exe_name, b->proc.exe_name);
	cr_assert_str_eq(a->proc.exe_path, b->proc.exe_path);
	cr_assert_str_eq(a->proc.container_id, b->proc.container_id);
	cr_assert_str_eq(a->proc.pod_uid, b->proc.pod_uid);
}

Test(otlp_pb, round_trip)
{
	struct span *in[3], **out = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;

	in[0] = mk_span(100, "agent-a", 1, 0);
	in[1] = mk_span(200, "agent-b", 2, 0);
	in[2] = mk_span(100, "agent-a", 3, 1);
	in[1]->status = SPAN_STATUS_ERROR;
	in[1]->status_message = strdup("rate limited");
	in[1]->trace_state = strdup("vendor=abc");
	snprintf(in[1]->proc.container_id, sizeof(in[1]->proc.container_id), "c0ffee");
	snprintf(in[1]->proc.pod_uid, sizeof(in[1]->proc.pod_uid), "pod-1");

	cr_assert_eq(otlp_pb__encode(in, 3, NULL, &buf, &len), 0);
	cr_assert_gt(len, 0);
	cr_assert_eq(otlp_pb__decode(buf, len, &out, &n), 0);
	cr_assert_eq(n, 3);
	/* Grouped by process: a's two spans first, in batch order, then b. */
	assert_span_equal(in[0], out[0]);
	assert_span_equal(in[2], out[1]);
	assert_span_equal(in[1], out[2]);
	for (size_t i = 0; i < n; i++)
		span__free(out[i]);
	for (size_t i = 0; i < 3; i++)
		span__free(in[i]);
	free(out);
	free(buf);
}

static const Otlp__KeyValue *find_kv(Otlp__KeyValue **v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->key, key) == 0)
			return v[i];
	return NULL;
}

Test(otlp_pb, resources_scope_and_ids)
{
	struct span *in[2];
	struct attr_list extra = { 0 };
	Otlp__ExportTraceServiceRequest *req;
	const Otlp__KeyValue *kv;
	uint8_t *buf;
	size_t len;

	in[0] = mk_span(100, "agent-a", 1, 0);
	in[1] = mk_span(200, "", 2, 1);
	snprintf(in[0]->proc.pod_uid, sizeof(in[0]->proc.pod_uid), "uid-7");
	snprintf(in[0]->proc.owner, sizeof(in[0]->proc.owner), "agent");
	snprintf(in[0]->proc.runtime_name, sizeof(in[0]->proc.runtime_name), "cpython");
	snprintf(in[0]->proc.runtime_version, sizeof(in[0]->proc.runtime_version), "3.11");
	cr_assert_eq(attrs__set_str(&extra, "deployment.environment", "prod"), 0);
	cr_assert_eq(attrs__set_str(&extra, "service.name", "daemon-must-not-win"), 0);
	cr_assert_eq(attrs__set_str(&extra, "host.name", "node-1"), 0);
	cr_assert_eq(otlp_pb__encode(in, 2, &extra, &buf, &len), 0);
	req = otlp__export_trace_service_request__unpack(NULL, len, buf);
	cr_assert_not_null(req);
	cr_assert_eq(req->n_resource_spans, 2);

	Otlp__ResourceSpans *rs = req->resource_spans[0];
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "service.name");
	cr_assert_str_eq(kv->value->string_value, "agent-a");
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "process.pid");
	cr_assert_eq(kv->value->value_case, OTLP__ANY_VALUE__VALUE_INT_VALUE);
	cr_assert_eq(kv->value->int_value, 100);
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "k8s.pod.uid");
	cr_assert_str_eq(kv->value->string_value, "uid-7");
	cr_assert_null(find_kv(rs->resource->attributes, rs->resource->n_attributes,
			       "container.id"));
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes,
		     "deployment.environment");
	cr_assert_str_eq(kv->value->string_value, "prod");
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "host.name");
	cr_assert_str_eq(kv->value->string_value, "node-1");
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes,
		     "process.executable.path");
	cr_assert_str_eq(kv->value->string_value, "/usr/bin/python3");
	/* what the OTel SDKs put there too (issue #16) */
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "process.owner");
	cr_assert_str_eq(kv->value->string_value, "agent");
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes,
		     "process.runtime.name");
	cr_assert_str_eq(kv->value->string_value, "cpython");
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes,
		     "process.runtime.version");
	cr_assert_str_eq(kv->value->string_value, "3.11");
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "os.type");
	cr_assert_str_eq(kv->value->string_value, "linux");
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "host.arch");
	cr_assert_not_null(kv);
	cr_assert_gt(strlen(kv->value->string_value), 0);
	cr_assert_null(find_kv(rs->resource->attributes, rs->resource->n_attributes,
			       "process.command_line"));
	cr_assert_null(find_kv(rs->resource->attributes, rs->resource->n_attributes,
			       "process.command_args"));

	cr_assert_eq(rs->n_scope_spans, 1);
	cr_assert_str_eq(rs->scope_spans[0]->scope->name, "agentrace");
	cr_assert_str_eq(rs->scope_spans[0]->scope->version, AGENTRACE_VERSION);

	Otlp__Span *sp = rs->scope_spans[0]->spans[0];
	cr_assert_eq(sp->trace_id.len, 16);
	cr_assert_eq(sp->span_id.len, 8);
	cr_assert_eq(sp->parent_span_id.len, 0, "root spans carry no parent id");
	cr_assert_eq(sp->flags, 1);
	cr_assert_eq(sp->kind, OTLP__SPAN__SPAN_KIND__SPAN_KIND_CLIENT);
	cr_assert_eq(sp->status->code, OTLP__STATUS__STATUS_CODE__STATUS_CODE_UNSET);

	/* No service name: unknown_service:<exe>, per the resource semconv. */
	rs = req->resource_spans[1];
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "service.name");
	cr_assert_str_eq(kv->value->string_value, "unknown_service:python3");
	cr_assert_eq(rs->scope_spans[0]->spans[0]->parent_span_id.len, 8);

	otlp__export_trace_service_request__free_unpacked(req, NULL);
	attrs__clear(&extra);
	span__free(in[0]);
	span__free(in[1]);
	free(buf);
}

/* Times are fixed64 (wire type 1): tag 0x39 for field 7, then 8 LE bytes. */
Test(otlp_pb, fixed64_times_on_the_wire)
{
	struct span *s = span__new("x", SPAN_KIND_CLIENT);
	uint8_t want[9] = { 0x39 }, *buf;
	uint64_t t = 0x0102030405060708ull;
	size_t len;
	bool found = false;

	s->start_ns = t;
	s->span_id[0] = 1;
	s->trace_id[0] = 1;
	for (int i = 0; i < 8; i++)
		want[1 + i] = (uint8_t)(t >> (8 * i));
	cr_assert_eq(otlp_pb__encode(&s, 1, NULL, &buf, &len), 0);
	for (size_t i = 0; i + 9 <= len; i++)
		if (memcmp(buf + i, want, 9) == 0)
			found = true;
	cr_assert(found, "start_time_unix_nano is not encoded as fixed64 field 7");
	span__free(s);
	free(buf);
}

Test(otlp_pb, invalid_utf8_is_repaired)
{
	struct span *s = span__new("bad\xc3", SPAN_KIND_CLIENT), **out;
	uint8_t *buf;
	size_t len, n;

	cr_assert_eq(span__set_str(s, "k", "v\xff" "w"), 0);
	cr_assert_eq(otlp_pb__encode(&s, 1, NULL, &buf, &len), 0);
	cr_assert_eq(otlp_pb__decode(buf, len, &out, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(out[0]->name, "bad\xef\xbf\xbd");
	cr_assert_str_eq(span__get(out[0], "k")->s, "v\xef\xbf\xbdw");
	span__free(out[0]);
	free(out);
	span__free(s);
	free(buf);
}

Test(otlp_pb, empty_batch_and_garbage)
{
	uint8_t *buf = NULL, junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	struct span **out;
	size_t len = 99, n;

	cr_assert_eq(otlp_pb__encode(NULL, 0, NULL, &buf, &len), 0);
	cr_assert_eq(len, 0);
	free(buf);
	cr_assert_eq(otlp_pb__decode(junk, sizeof(junk), &out, &n), -EBADMSG);
	cr_assert_null(out);
}

Test(otlp_pb, partial_success_response)
{
	Otlp__ExportTraceServiceResponse resp;
	Otlp__ExportTracePartialSuccess ps;
	uint8_t buf[128];
	size_t len;
	int64_t rejected;
	char msg[64];

	otlp__export_trace_service_response__init(&resp);
	otlp__export_trace_partial_success__init(&ps);
	ps.rejected_spans = 3;
	ps.error_message = "span too large";
	resp.partial_success = &ps;
	len = otlp__export_trace_service_response__pack(&resp, buf);
	cr_assert_eq(otlp_pb__parse_response(buf, len, &rejected, msg, sizeof(msg)), 0);
	cr_assert_eq(rejected, 3);
	cr_assert_str_eq(msg, "span too large");
	cr_assert_eq(otlp_pb__parse_response(buf, 0, &rejected, msg, sizeof(msg)), 0);
	cr_assert_eq(rejected, 0);
	cr_assert_eq(otlp_pb__parse_response((const uint8_t *)"\x0a\x05", 2, &rejected, msg,
					     sizeof(msg)), -EBADMSG);
}
