// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/otlp_json.h"

static struct span *json_span(void)
{
	struct span *s = span__new("chat gpt-4o", SPAN_KIND_CLIENT);
	const char *reasons[] = { "stop" };
	struct span_event *ev;

	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(0xf0 + i);
	memcpy(s->span_id, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	s->trace_flags = 1;
	s->start_ns = 1700000000123456789ull;
	s->end_ns = 18446744073709551615ull; /* exceeds a double's precision */
	s->status = SPAN_STATUS_ERROR;
	s->status_message = strdup("boom");
	s->proc.pid = 4242;
	snprintf(s->proc.service_name, sizeof(s->proc.service_name), "svc");
	span__set_int(s, "gen_ai.usage.input_tokens", 9007199254740993LL);
	span__set_double(s, "gen_ai.request.temperature", 0.5);
	span__set_bool(s, "gen_ai.request.stream", false);
	span__set_str(s, "gen_ai.request.model", "gpt-4o");
	attrs__set_str_array(&s->attrs, "gen_ai.response.finish_reasons", reasons, 1);
	ev = span__add_event(s, "gen_ai.tool.call", 1700000000500000000ull);
	attrs__set_str(&ev->attrs, "gen_ai.tool.name", "lookup");
	{
		uint8_t lt[16], ls[8] = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };

		memset(lt, 0xab, sizeof(lt));
		attrs__set_str(&span__add_link(s, lt, ls)->attrs, "gen_ai.tool.call.id", "call_9");
	}
	return s;
}

static json_t *attr_value(json_t *attrs, const char *key)
{
	size_t i;
	json_t *kv;

	json_array_foreach(attrs, i, kv)
		if (strcmp(json_string_value(json_object_get(kv, "key")), key) == 0)
			return json_object_get(kv, "value");
	return NULL;
}

static json_t *first_span(json_t *root)
{
	json_t *rs = json_array_get(json_object_get(root, "resourceSpans"), 0);
	json_t *ss = json_array_get(json_object_get(rs, "scopeSpans"), 0);

	return json_array_get(json_object_get(ss, "spans"), 0);
}

Test(otlp_json, field_names_ids_and_int64_strings)
{
	struct span *s = json_span();
	char *out = otlp_json__encode(&s, 1, NULL);
	json_t *root, *sp, *v, *rs, *ss, *ev;

	cr_assert_not_null(out);
	cr_assert_null(strchr(out, '\n'), "one request per line");
	root = json_loads(out, 0, NULL);
	cr_assert_not_null(root);
	rs = json_array_get(json_object_get(root, "resourceSpans"), 0);
	v = attr_value(json_object_get(json_object_get(rs, "resource"), "attributes"),
		       "process.pid");
	cr_assert_str_eq(json_string_value(json_object_get(v, "intValue")), "4242");
	ss = json_array_get(json_object_get(rs, "scopeSpans"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ss, "scope"),
							   "name")), "agentrace");

	sp = first_span(root);
	cr_assert_str_eq(json_string_value(json_object_get(sp, "traceId")),
			 "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	cr_assert_str_eq(json_string_value(json_object_get(sp, "spanId")), "0123456789abcdef");
	cr_assert_null(json_object_get(sp, "parentSpanId"), "root: no parentSpanId");
	cr_assert_str_eq(json_string_value(json_object_get(sp, "startTimeUnixNano")),
			 "1700000000123456789");
	cr_assert_str_eq(json_string_value(json_object_get(sp, "endTimeUnixNano")),
			 "18446744073709551615");
	cr_assert(json_is_integer(json_object_get(sp, "kind")));
	cr_assert_eq(json_integer_value(json_object_get(sp, "kind")), 3);
	cr_assert_eq(json_integer_value(json_object_get(sp, "flags")), 1);
	v = json_object_get(sp, "status");
	cr_assert_eq(json_integer_value(json_object_get(v, "code")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(v, "message")), "boom");

	v = attr_value(json_object_get(sp, "attributes"), "gen_ai.usage.input_tokens");
	cr_assert_str_eq(json_string_value(json_object_get(v, "intValue")), "9007199254740993");
	v = attr_value(json_object_get(sp, "attributes"), "gen_ai.request.temperature");
	cr_assert_float_eq(json_real_value(json_object_get(v, "doubleValue")), 0.5, 1e-12);
	v = attr_value(json_object_get(sp, "attributes"), "gen_ai.request.stream");
	cr_assert(json_is_false(json_object_get(v, "boolValue")));
	v = attr_value(json_object_get(sp, "attributes"), "gen_ai.request.model");
	cr_assert_str_eq(json_string_value(json_object_get(v, "stringValue")), "gpt-4o");
	v = attr_value(json_object_get(sp, "attributes"), "gen_ai.response.finish_reasons");
	v = json_array_get(json_object_get(json_object_get(v, "arrayValue"), "values"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(v, "stringValue")), "stop");

	ev = json_array_get(json_object_get(sp, "events"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "timeUnixNano")),
			 "1700000000500000000");
	cr_assert_str_eq(json_string_value(json_object_get(ev, "name")), "gen_ai.tool.call");
	v = attr_value(json_object_get(ev, "attributes"), "gen_ai.tool.name");
	cr_assert_str_eq(json_string_value(json_object_get(v, "stringValue")), "lookup");

	ev = json_array_get(json_object_get(sp, "links"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "spanId")), "fedcba9876543210");
	cr_assert_str_eq(json_string_value(json_object_get(ev, "traceId")),
			 "abababababababababababababababab");
	v = attr_value(json_object_get(ev, "attributes"), "gen_ai.tool.call.id");
	cr_assert_str_eq(json_string_value(json_object_get(v, "stringValue")), "call_9");

	json_decref(root);
	free(out);
	span__free(s);
}

Test(otlp_json, parent_id_trace_state_and_odd_values)
{
	struct span *s = span__new("bad\xe2\x82", SPAN_KIND_INTERNAL);
	char *out;
	json_t *root, *sp, *v;

	memcpy(s->parent_span_id, "\x00\x00\x00\x00\x00\x00\x00\x0a", 8);
	s->trace_state = strdup("a=b");
	span__set_double(s, "nan", NAN);
	span__set_double(s, "inf", -INFINITY);
	out = otlp_json__encode(&s, 1, NULL);
	cr_assert_not_null(out);
	root = json_loads(out, 0, NULL);
	cr_assert_not_null(root, "output must be valid JSON: %s", out);
	sp = first_span(root);
	cr_assert_str_eq(json_string_value(json_object_get(sp, "parentSpanId")), "000000000000000a");
	cr_assert_str_eq(json_string_value(json_object_get(sp, "traceState")), "a=b");
	cr_assert_str_eq(json_string_value(json_object_get(sp, "name")), "bad\xef\xbf\xbd\xef\xbf\xbd");
	v = attr_value(json_object_get(sp, "attributes"), "nan");
	cr_assert_str_eq(json_string_value(json_object_get(v, "doubleValue")), "NaN");
	v = attr_value(json_object_get(sp, "attributes"), "inf");
	cr_assert_str_eq(json_string_value(json_object_get(v, "doubleValue")), "-Infinity");
	json_decref(root);
	free(out);
	span__free(s);
}

Test(otlp_json, groups_resources_like_protobuf)
{
	struct span *s[3] = { json_span(), json_span(), json_span() };
	char *out;
	json_t *root;

	s[1]->proc.pid = 1;
	out = otlp_json__encode(s, 3, NULL);
	root = json_loads(out, 0, NULL);
	cr_assert_eq(json_array_size(json_object_get(root, "resourceSpans")), 2);
	json_decref(root);
	free(out);
	for (int i = 0; i < 3; i++)
		span__free(s[i]);
}

Test(otlp_json, partial_success_response)
{
	int64_t rej;
	char msg[32];
	const char *a = "{\"partialSuccess\":{\"rejectedSpans\":\"5\",\"errorMessage\":\"too big\"}}";
	const char *b = "{\"partialSuccess\":{\"rejectedSpans\":2}}";

	cr_assert_eq(otlp_json__parse_response(a, strlen(a), &rej, msg, sizeof(msg)), 0);
	cr_assert_eq(rej, 5);
	cr_assert_str_eq(msg, "too big");
	cr_assert_eq(otlp_json__parse_response(b, strlen(b), &rej, msg, sizeof(msg)), 0);
	cr_assert_eq(rej, 2);
	cr_assert_eq(otlp_json__parse_response("{}", 2, &rej, msg, sizeof(msg)), 0);
	cr_assert_eq(rej, 0);
	cr_assert_eq(otlp_json__parse_response("", 0, &rej, msg, sizeof(msg)), 0);
	cr_assert_eq(otlp_json__parse_response("{nope", 5, &rej, msg, sizeof(msg)), -EBADMSG);
}

/* ExportMetricsServiceResponse: the count is rejectedDataPoints, and a
 * traces key there is not a metrics rejection. */
Test(otlp_json, metrics_partial_success_response)
{
	int64_t rej;
	char msg[32];
	const char *a = "{\"partialSuccess\":{\"rejectedDataPoints\":\"7\",\"errorMessage\":\"nan\"}}";
	const char *b = "{\"partialSuccess\":{\"rejectedSpans\":\"7\"}}";

	cr_assert_eq(otlp_json__parse_partial(a, strlen(a), "rejectedDataPoints", &rej, msg,
					      sizeof(msg)), 0);
	cr_assert_eq(rej, 7);
	cr_assert_str_eq(msg, "nan");
	cr_assert_eq(otlp_json__parse_partial(b, strlen(b), "rejectedDataPoints", &rej, msg,
					      sizeof(msg)), 0);
	cr_assert_eq(rej, 0);
}
