// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_trace.pb-c.h"

#include "export/otlp_pb.h"
#include "export/otlp_pb_kv.h"
#include "export/otlp_resource.h"
#include "export/utf8.h"

#ifndef AGENTRACE_VERSION
#define AGENTRACE_VERSION "0.0.0"
#endif

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Builds the Span message of s. Returns NULL on -ENOMEM. */
static Otlp__Span *pb_span(struct arena *ar, struct span *s)
{
	Otlp__Span *p = arena__alloc(ar, sizeof(*p));
	Otlp__Status *st = arena__alloc(ar, sizeof(*st));

	if (!p || !st)
		return NULL;
	otlp__span__init(p);
	p->trace_id.data = s->trace_id;
	p->trace_id.len = sizeof(s->trace_id);
	p->span_id.data = s->span_id;
	p->span_id.len = sizeof(s->span_id);
	/* A root span has an empty parent_span_id, not eight zero bytes. */
	if (!all_zero(s->parent_span_id, sizeof(s->parent_span_id))) {
		p->parent_span_id.data = s->parent_span_id;
		p->parent_span_id.len = sizeof(s->parent_span_id);
	}
	if (s->trace_state && !(p->trace_state = otlp_pb__str(ar, s->trace_state)))
		return NULL;
	p->flags = s->trace_flags;
	p->name = otlp_pb__str(ar, s->name);
	if (!p->name)
		return NULL;
	p->kind = (Otlp__Span__SpanKind)s->kind;
	p->start_time_unix_nano = s->start_ns;
	p->end_time_unix_nano = s->end_ns;
	if (otlp_pb__key_values(ar, &s->attrs, &p->attributes, &p->n_attributes))
		return NULL;
	if (s->n_events) {
		p->events = arena__alloc(ar, s->n_events * sizeof(*p->events));
		if (!p->events)
			return NULL;
	}
	for (size_t i = 0; i < s->n_events; i++) {
		Otlp__Span__Event *e = arena__alloc(ar, sizeof(*e));

		if (!e)
			return NULL;
		otlp__span__event__init(e);
		e->time_unix_nano = s->events[i].time_ns;
		e->name = otlp_pb__str(ar, s->events[i].name);
		if (!e->name)
			return NULL;
		if (otlp_pb__key_values(ar, &s->events[i].attrs, &e->attributes, &e->n_attributes))
			return NULL;
		p->events[p->n_events++] = e;
	}
	if (s->n_links) {
		p->links = arena__alloc(ar, s->n_links * sizeof(*p->links));
		if (!p->links)
			return NULL;
	}
	for (size_t i = 0; i < s->n_links; i++) {
		Otlp__Span__Link *l = arena__alloc(ar, sizeof(*l));

		if (!l)
			return NULL;
		otlp__span__link__init(l);
		l->trace_id.data = s->links[i].trace_id;
		l->trace_id.len = sizeof(s->links[i].trace_id);
		l->span_id.data = s->links[i].span_id;
		l->span_id.len = sizeof(s->links[i].span_id);
		if (otlp_pb__key_values(ar, &s->links[i].attrs, &l->attributes, &l->n_attributes))
			return NULL;
		p->links[p->n_links++] = l;
	}
	otlp__status__init(st);
	st->code = (Otlp__Status__StatusCode)s->status;
	if (s->status_message && !(st->message = otlp_pb__str(ar, s->status_message)))
		return NULL;
	p->status = st;
	return p;
}

/* Builds the ResourceSpans of one group. Returns NULL on -ENOMEM. */
static Otlp__ResourceSpans *pb_resource_spans(struct arena *ar, struct otlp_group *g)
{
	Otlp__ResourceSpans *rs = arena__alloc(ar, sizeof(*rs));
	Otlp__Resource *res = arena__alloc(ar, sizeof(*res));
	Otlp__ScopeSpans *ss = arena__alloc(ar, sizeof(*ss));
	Otlp__InstrumentationScope *scope = arena__alloc(ar, sizeof(*scope));
	Otlp__ScopeSpans **ssv = arena__alloc(ar, sizeof(*ssv));

	if (!rs || !res || !ss || !scope || !ssv)
		return NULL;
	otlp__resource_spans__init(rs);
	otlp__resource__init(res);
	otlp__scope_spans__init(ss);
	otlp__instrumentation_scope__init(scope);
	if (otlp_pb__key_values(ar, &g->attrs, &res->attributes, &res->n_attributes))
		return NULL;
	scope->name = (char *)OTLP_SCOPE_NAME;
	scope->version = (char *)AGENTRACE_VERSION;
	ss->scope = scope;
	ss->spans = arena__alloc(ar, g->n * sizeof(*ss->spans));
	if (!ss->spans)
		return NULL;
	for (size_t i = 0; i < g->n; i++) {
		ss->spans[i] = pb_span(ar, g->spans[i]);
		if (!ss->spans[i])
			return NULL;
	}
	ss->n_spans = g->n;
	ssv[0] = ss;
	rs->resource = res;
	rs->scope_spans = ssv;
	rs->n_scope_spans = 1;
	return rs;
}

int otlp_pb__encode(struct span *const *spans, size_t n, const struct attr_list *resource,
		    uint8_t **out, size_t *len)
{
	Otlp__ExportTraceServiceRequest req;
	struct otlp_groups groups;
	struct arena ar = { 0 };
	int err;

	*out = NULL;
	*len = 0;
	err = otlp_groups__build(&groups, spans, n, resource);
	if (err)
		return err;
	err = -ENOMEM;
	otlp__export_trace_service_request__init(&req);
	if (groups.n) {
		req.resource_spans = arena__alloc(&ar, groups.n * sizeof(*req.resource_spans));
		if (!req.resource_spans)
			goto cleanup;
	}
	for (size_t i = 0; i < groups.n; i++) {
		req.resource_spans[i] = pb_resource_spans(&ar, &groups.v[i]);
		if (!req.resource_spans[i])
			goto cleanup;
		req.n_resource_spans++;
	}
	*len = otlp__export_trace_service_request__get_packed_size(&req);
	*out = malloc(*len ? *len : 1);
	if (!*out)
		goto cleanup;
	otlp__export_trace_service_request__pack(&req, *out);
	err = 0;
cleanup:
	if (err)
		*len = 0;
	arena__free(&ar);
	otlp_groups__release(&groups);
	return err;
}

/* Adds one decoded KeyValue to l; value kinds spans never carry are
 * skipped. Returns 0 or -ENOMEM. */
static int attr_from_pb(struct attr_list *l, const Otlp__KeyValue *kv)
{
	const Otlp__AnyValue *v = kv->value;
	const char **strs;
	size_t n = 0;
	int err;

	if (!v || !kv->key)
		return 0;
	switch (v->value_case) {
	case OTLP__ANY_VALUE__VALUE_STRING_VALUE:
		return attrs__set_str(l, kv->key, v->string_value);
	case OTLP__ANY_VALUE__VALUE_INT_VALUE:
		return attrs__set_int(l, kv->key, v->int_value);
	case OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE:
		return attrs__set_double(l, kv->key, v->double_value);
	case OTLP__ANY_VALUE__VALUE_BOOL_VALUE:
		return attrs__set_bool(l, kv->key, v->bool_value);
	case OTLP__ANY_VALUE__VALUE_ARRAY_VALUE:
		strs = calloc(v->array_value->n_values + 1, sizeof(*strs));
		if (!strs)
			return -ENOMEM;
		for (size_t i = 0; i < v->array_value->n_values; i++) {
			const Otlp__AnyValue *e = v->array_value->values[i];

			if (e->value_case == OTLP__ANY_VALUE__VALUE_STRING_VALUE)
				strs[n++] = e->string_value;
		}
		err = attrs__set_str_array(l, kv->key, strs, n);
		free(strs);
		return err;
	default:
		return 0;
	}
}

static void copy_id(uint8_t *dst, size_t sz, const ProtobufCBinaryData *b)
{
	memset(dst, 0, sz);
	if (b->data && b->len)
		memcpy(dst, b->data, b->len < sz ? b->len : sz);
}

/* Reads the process identity back from resource attributes. */
static void proc_from_pb(struct span_process *p, const Otlp__Resource *res)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; res && i < res->n_attributes; i++) {
		const Otlp__KeyValue *kv = res->attributes[i];
		const char *s = NULL;

		if (!kv->value)
			continue;
		if (kv->value->value_case == OTLP__ANY_VALUE__VALUE_STRING_VALUE)
			s = kv->value->string_value;
		if (strcmp(kv->key, "process.pid") == 0 &&
		    kv->value->value_case == OTLP__ANY_VALUE__VALUE_INT_VALUE)
			p->pid = (uint32_t)kv->value->int_value;
		else if (!s)
			continue;
		else if (strcmp(kv->key, "service.name") == 0)
			snprintf(p->service_name, sizeof(p->service_name), "%s", s);
		else if (strcmp(kv->key, "process.executable.name") == 0)
			snprintf(p->exe_name, sizeof(p->exe_name), "%s", s);
		else if (strcmp(kv->key, "process.executable.path") == 0)
			snprintf(p->exe_path, sizeof(p->exe_path), "%s", s);
		else if (strcmp(kv->key, "container.id") == 0)
			snprintf(p->container_id, sizeof(p->container_id), "%s", s);
		else if (strcmp(kv->key, "k8s.pod.uid") == 0)
			snprintf(p->pod_uid, sizeof(p->pod_uid), "%s", s);
	}
}

/* Converts one decoded Span. Returns NULL on -ENOMEM. */
static struct span *span_from_pb(const Otlp__Span *p, const struct span_process *proc)
{
	struct span *s = span__new(p->name, (enum span_kind)p->kind);

	if (!s)
		return NULL;
	copy_id(s->trace_id, sizeof(s->trace_id), &p->trace_id);
	copy_id(s->span_id, sizeof(s->span_id), &p->span_id);
	copy_id(s->parent_span_id, sizeof(s->parent_span_id), &p->parent_span_id);
	s->trace_flags = (uint8_t)(p->flags & 0xff);
	s->start_ns = p->start_time_unix_nano;
	s->end_ns = p->end_time_unix_nano;
	s->proc = *proc;
	if (p->trace_state && p->trace_state[0] && !(s->trace_state = strdup(p->trace_state)))
		goto fail;
	if (p->status) {
		s->status = (enum span_status)p->status->code;
		if (p->status->message && p->status->message[0] &&
		    !(s->status_message = strdup(p->status->message)))
			goto fail;
	}
	for (size_t i = 0; i < p->n_attributes; i++)
		if (attr_from_pb(&s->attrs, p->attributes[i]))
			goto fail;
	for (size_t i = 0; i < p->n_events; i++) {
		const Otlp__Span__Event *pe = p->events[i];
		struct span_event *e = span__add_event(s, pe->name, pe->time_unix_nano);

		if (!e)
			goto fail;
		for (size_t j = 0; j < pe->n_attributes; j++)
			if (attr_from_pb(&e->attrs, pe->attributes[j]))
				goto fail;
	}
	for (size_t i = 0; i < p->n_links; i++) {
		const Otlp__Span__Link *pl = p->links[i];
		uint8_t tid[16] = { 0 }, sid[8] = { 0 };
		struct span_link *l;

		copy_id(tid, sizeof(tid), &pl->trace_id);
		copy_id(sid, sizeof(sid), &pl->span_id);
		l = span__add_link(s, tid, sid);
		if (!l)
			goto fail;
		for (size_t j = 0; j < pl->n_attributes; j++)
			if (attr_from_pb(&l->attrs, pl->attributes[j]))
				goto fail;
	}
	return s;
fail:
	span__free(s);
	return NULL;
}

int otlp_pb__decode(const uint8_t *buf, size_t len, struct span ***spans, size_t *n)
{
	Otlp__ExportTraceServiceRequest *req;
	struct span **v = NULL;
	size_t total = 0, k = 0;
	int err = -ENOMEM;

	*spans = NULL;
	*n = 0;
	req = otlp__export_trace_service_request__unpack(NULL, len, buf);
	if (!req)
		return -EBADMSG;
	for (size_t i = 0; i < req->n_resource_spans; i++)
		for (size_t j = 0; j < req->resource_spans[i]->n_scope_spans; j++)
			total += req->resource_spans[i]->scope_spans[j]->n_spans;
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		goto cleanup;
	for (size_t i = 0; i < req->n_resource_spans; i++) {
		const Otlp__ResourceSpans *rs = req->resource_spans[i];
		struct span_process proc;

		proc_from_pb(&proc, rs->resource);
		for (size_t j = 0; j < rs->n_scope_spans; j++) {
			const Otlp__ScopeSpans *ss = rs->scope_spans[j];

			for (size_t m = 0; m < ss->n_spans; m++) {
				v[k] = span_from_pb(ss->spans[m], &proc);
				if (!v[k])
					goto cleanup;
				k++;
			}
		}
	}
	*spans = v;
	*n = k;
	err = 0;
cleanup:
	if (err) {
		for (size_t i = 0; i < k; i++)
			span__free(v[i]);
		free(v);
	}
	otlp__export_trace_service_request__free_unpacked(req, NULL);
	return err;
}

int otlp_pb__parse_response(const uint8_t *buf, size_t len, int64_t *rejected,
			    char *msg, size_t msgsz)
{
	Otlp__ExportTraceServiceResponse *resp;

	*rejected = 0;
	if (msgsz)
		msg[0] = '\0';
	if (!len)
		return 0;
	resp = otlp__export_trace_service_response__unpack(NULL, len, buf);
	if (!resp)
		return -EBADMSG;
	if (resp->partial_success) {
		*rejected = resp->partial_success->rejected_spans;
		if (msgsz && resp->partial_success->error_message)
			snprintf(msg, msgsz, "%s", resp->partial_success->error_message);
	}
	otlp__export_trace_service_response__free_unpacked(resp, NULL);
	return 0;
}
