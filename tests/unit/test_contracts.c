// SPDX-License-Identifier: MIT
/* Tool contracts: file parsing and its errors, matching, drift flagging and
 * learning, the contracts dump. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jyaml.h"
#include "contracts/tool_drift.h"
#include "contracts/file.h"
#include "tools/tool_key.h"

#define V1 "1111111111111111"
#define V2 "2222222222222222"

static int parse(const char *text, struct contract_set *cs, char *err)
{
	char perr[256] = "";
	json_t *j = jyaml__load(text, strlen(text), perr, sizeof(perr));
	int ret;

	memset(cs, 0, sizeof(*cs));
	if (!j) {
		snprintf(err, 256, "%s", perr);
		return -EINVAL;
	}
	ret = contract_set__parse(cs, j, err, 256);
	json_decref(j);
	return ret;
}

static struct span *weather(const char *path, const char *hash, int status)
{
	struct span *s = span__new("GET", SPAN_KIND_CLIENT);
	char url[256];

	snprintf(url, sizeof(url), "https://api.weather.test%s?city=Paris", path);
	span__set_str(s, "http.request.method", "GET");
	span__set_str(s, "url.full", url);
	span__set_str(s, "server.address", "api.weather.test");
	span__set_int(s, "http.response.status_code", status);
	span__set_str(s, "tool.schema.hash", hash);
	s->end_ns = 42;
	return s;
}

static const struct span_event *drift_event(const struct span *s)
{
	for (size_t i = 0; i < s->n_events; i++)
		if (!strcmp(s->events[i].name, "tool.schema.drift"))
			return &s->events[i];
	return NULL;
}

Test(contracts_file, yaml_with_names_and_http_tools)
{
	struct contract_set cs;
	char err[256];

	cr_assert_eq(parse("tools:\n"
			   "  - name: get_weather\n    version: 1\n    schema_hashes: [" V1 "]\n"
			   "  - host: api.weather.test\n    path: /tools/v1/weather\n"
			   "    version: \"1.2\"\n    schema_hashes: [\"" V1 "\", \"" V2 "\"]\n",
			   &cs, err), 0, "%s", err);
	cr_assert_eq(cs.n, 2);
	cr_assert_str_eq(cs.v[0].key, "get_weather");
	cr_assert_str_eq(cs.v[0].version, "1");
	cr_assert_str_eq(cs.v[1].key, "api.weather.test/tools/v1/weather");
	cr_assert_str_eq(cs.v[1].version, "1.2");
	cr_assert_eq(cs.v[1].n_hashes, 2);
	cr_assert_eq(cs.v[1].hashes[1], 0x2222222222222222ull);
	contract_set__release(&cs);
}

Test(contracts_file, bad_files_give_clear_errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "tool: []\n", "expected a mapping with one key, tools" },
		{ "tools: [ { version: 1, schema_hashes: [" V1 "] } ]\n", "tools[0]: needs name" },
		{ "tools: [ { name: a, host: h, path: /p, version: 1, schema_hashes: [" V1 "] } ]\n",
		  "either name or host" },
		{ "tools: [ { name: a, schema_hashes: [" V1 "] } ]\n", "tools[0].version" },
		{ "tools: [ { name: a, version: 1, schema_hashes: [] } ]\n", "tools[0].schema_hashes" },
		{ "tools: [ { name: a, version: 1, schema_hashes: [abc] } ]\n",
		  "tools[0].schema_hashes[0]: expected 16 hex digits" },
		{ "tools: [ { name: a, version: 1, schema_hashes: [" V1 "], extra: 1 } ]\n",
		  "tools[0].extra: unknown key" },
		{ "tools:\n  - { name: a, version: 1, schema_hashes: [" V1 "] }\n"
		  "  - { name: a, version: 1, schema_hashes: [" V2 "] }\n",
		  "tools[1]: a version 1 is declared twice" },
		{ "tools:\n  - name: a\n   version: 1\n", "line " },
	};
	struct contract_set cs;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(parse(cases[i].text, &cs, err), -EINVAL, "case %zu accepted", i);
		cr_assert_not_null(strstr(err, cases[i].want), "case %zu: got '%s', want '%s'", i,
				   err, cases[i].want);
	}
	cr_assert_eq(contract_set__load(&cs, "/nonexistent/contracts.yaml", err, sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
}

Test(contracts_drift, declared_v1_flags_v2_shapes_with_both_hashes)
{
	struct contract_set cs;
	struct tool_drift *d;
	struct tool_drift_stats st;
	struct span *ok = weather("/tools/v1/weather", V1, 200);
	struct span *bad = weather("/tools/v1/weather", V2, 200);
	struct span *other = weather("/tools/v3/other", V2, 200);
	const struct span_event *e;
	const struct attr *a;
	char err[256];

	cr_assert_eq(parse("tools:\n  - host: api.weather.test\n    path: /tools/v1/weather\n"
			   "    version: 1\n    schema_hashes: [" V1 "]\n", &cs, err), 0, "%s", err);
	d = tool_drift__new(&cs, 0, 16);
	tool_drift__check(d, ok);
	tool_drift__check(d, bad);
	tool_drift__check(d, bad); /* flagged again, logged once */
	tool_drift__check(d, other);
	cr_assert_str_eq(span__get(ok, "tool.contract.version")->s, "1");
	cr_assert_eq(span__get(ok, "tool.schema.drift")->b, false);
	cr_assert_null(drift_event(ok));
	cr_assert_eq(span__get(bad, "tool.schema.drift")->b, true);
	cr_assert_str_eq(span__get(bad, "tool.contract.version")->s, "1");
	e = drift_event(bad);
	cr_assert_not_null(e);
	a = attrs__get(&e->attrs, "tool.schema.expected_hashes");
	cr_assert_eq(a->arr.n, 1);
	cr_assert_str_eq(a->arr.v[0], V1);
	cr_assert_str_eq(attrs__get(&e->attrs, "tool.schema.observed_hash")->s, V2);
	cr_assert_null(span__get(other, "tool.schema.drift"), "undeclared tools are not judged");
	tool_drift__stats(d, &st);
	cr_assert_eq(st.checked, 4);
	cr_assert_eq(st.matched, 1);
	cr_assert_eq(st.drifted, 2);
	cr_assert_eq(st.undeclared, 1);
	tool_drift__free(d);
	span__free(ok);
	span__free(bad);
	span__free(other);
}

Test(contracts_drift, learning_after_warm_up)
{
	struct tool_drift *d = tool_drift__new(NULL, 3, 16);
	struct span *s[6];

	s[0] = weather("/w", V1, 200);
	s[1] = weather("/w", V1, 200);
	s[2] = weather("/w", V2, 200); /* warm-up: a second shape is learned too */
	s[3] = weather("/w", V1, 200);
	s[4] = weather("/w", "3333333333333333", 200);
	s[5] = weather("/w", "4444444444444444", 500); /* an error body is not judged */
	for (int i = 0; i < 6; i++)
		tool_drift__check(d, s[i]);
	for (int i = 0; i < 3; i++)
		cr_assert_null(span__get(s[i], "tool.schema.drift"));
	cr_assert_eq(span__get(s[3], "tool.schema.drift")->b, false);
	cr_assert_eq(span__get(s[4], "tool.schema.drift")->b, true);
	cr_assert_eq(attrs__get(&drift_event(s[4])->attrs, "tool.schema.expected_hashes")->arr.n, 2);
	cr_assert_null(span__get(s[5], "tool.schema.drift"));
	for (int i = 0; i < 6; i++)
		span__free(s[i]);
	tool_drift__free(d);
}

Test(contracts_drift, dump_round_trips_through_the_parser)
{
	struct tool_drift *d = tool_drift__new(NULL, UINT32_MAX, 16);
	struct span *a = weather("/tools/v1/weather", V1, 200), *b = weather("/tools/v1/weather", V2, 200);
	struct span *m = span__new("tools/call", SPAN_KIND_CLIENT);
	struct contract_set cs;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	span__set_str(m, "gen_ai.tool.name", "get \"weather\"");
	span__set_str(m, "tool.schema.hash", V1);
	tool_drift__check(d, a);
	tool_drift__check(d, b);
	tool_drift__check(d, m);
	cr_assert_eq(tool_drift__dump(d, f), 0);
	fclose(f);
	cr_assert_eq(parse(buf, &cs, err), 0, "%s\n%s", err, buf);
	cr_assert_eq(cs.n, 2, "%s", buf);
	for (size_t i = 0; i < cs.n; i++) {
		if (!strcmp(cs.v[i].key, "api.weather.test/tools/v1/weather"))
			cr_assert_eq(cs.v[i].n_hashes, 2);
		else
			cr_assert_str_eq(cs.v[i].key, "get \"weather\"");
	}
	contract_set__release(&cs);
	free(buf);
	span__free(a);
	span__free(b);
	span__free(m);
	tool_drift__free(d);
}

Test(tool_key, path_templates)
{
	char buf[TOOL_KEY_MAX];

	tool_key__path_template("https://h.test/v1/users/12345/orders/550e8400-e29b-41d4-a716-446655440000?x=1", buf, sizeof(buf));
	cr_assert_str_eq(buf, "/v1/users/{id}/orders/{id}");
	tool_key__path_template("/tools/v1/weather#frag", buf, sizeof(buf));
	cr_assert_str_eq(buf, "/tools/v1/weather");
	tool_key__path_template("http://h/a/0123456789abcdef01/b", buf, sizeof(buf));
	cr_assert_str_eq(buf, "/a/{id}/b");
}

#include "genai/tool_defs.h"
#include "genai/jskim.h"

static const char *def_hash_of(const struct span *s, const char *name)
{
	const struct attr *a = span__get(s, "tool.definition.hashes");

	for (size_t i = 0; a && i < a->arr.n; i++)
		if (!strncmp(a->arr.v[i], name, strlen(name)) && a->arr.v[i][strlen(name)] == '=')
			return a->arr.v[i] + strlen(name) + 1;
	return NULL;
}

Test(tool_defs, openai_anthropic_gemini_shapes_hash_alike)
{
	const char *openai = "{\"model\":\"m\",\"tools\":[{\"type\":\"function\",\"function\":"
			     "{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}},"
			     "{\"type\":\"function\",\"function\":{\"name\":\"a_search\"}}]}";
	const char *gemini = "{\"tools\":[{\"functionDeclarations\":[{\"parameters\":"
			     "{\"type\":\"object\"},\"name\":\"get_weather\"}]}]}";
	struct genai_jmember m = { .key = "tools" };
	bool complete;
	json_t *full = json_loads(openai, 0, NULL);
	json_t *skim = genai__json_skim(openai, strlen(openai), 1024, &complete, &m);
	json_t *g = json_loads(gemini, 0, NULL);
	struct span *a = span__new("chat", SPAN_KIND_CLIENT), *b = span__new("chat", SPAN_KIND_CLIENT);
	struct span *c = span__new("chat", SPAN_KIND_CLIENT);
	const struct attr *arr;

	cr_assert_eq(genai_tool_defs__annotate(NULL, a, full, NULL, 0, true), 2);
	/* a skimmed request (tools emptied) is parsed from the member's text */
	cr_assert_eq(json_array_size(json_object_get(skim, "tools")), 0);
	cr_assert_not_null(m.v);
	cr_assert_eq(genai_tool_defs__annotate(NULL, b, skim, m.v, m.n, false), 2);
	cr_assert_eq(genai_tool_defs__annotate(NULL, c, g, NULL, 0, false), 1);
	arr = span__get(a, "tool.definition.hashes");
	cr_assert_eq(arr->arr.n, 2);
	cr_assert_eq(strncmp(arr->arr.v[0], "a_search=", 9), 0, "sorted by name");
	cr_assert_str_eq(span__get(a, "tool.definitions.hash")->s,
			 span__get(b, "tool.definitions.hash")->s);
	cr_assert_not_null(span__get(a, "gen_ai.tool.definitions"), "content with capture");
	cr_assert_null(span__get(b, "gen_ai.tool.definitions"), "no content without capture");
	/* same definition (keys in another order) under Gemini's wrapping */
	cr_assert_str_eq(def_hash_of(c, "get_weather"), def_hash_of(a, "get_weather"));
	json_decref(full);
	json_decref(skim);
	json_decref(g);
	span__free(a);
	span__free(b);
	span__free(c);
}

/* The hashes remembered by the "tools" text are the ones computed: a
 * repeat is served from the cache, and a set whose text differs (here only
 * in key order) is computed anew to the same hashes. */
Test(tool_defs, cache_gives_the_computed_hashes)
{
	const char *t1 = "[{\"name\":\"b_tool\",\"parameters\":{\"type\":\"object\",\"x\":1}},"
			 "{\"name\":\"a_tool\"}]";
	const char *t2 = "[{\"parameters\":{\"x\":1,\"type\":\"object\"},\"name\":\"b_tool\"},"
			 "{\"name\":\"a_tool\"}]";
	const char *t3 = "[{\"name\":\"b_tool\",\"parameters\":{\"type\":\"object\",\"x\":2}}]";
	const char *raws[] = { t1, t1, t2, t3, t1 };
	struct genai_tool_defs *d = genai_tool_defs__new();
	json_t *skim = json_loads("{\"tools\":[]}", 0, NULL);
	struct span *s[5];

	for (int i = 0; i < 5; i++) {
		s[i] = span__new("chat", SPAN_KIND_CLIENT);
		cr_assert_eq(genai_tool_defs__annotate(d, s[i], skim, raws[i], strlen(raws[i]), false),
			     i == 3 ? 1 : 2);
	}
	for (int i = 1; i < 5; i++) {
		if (i == 3)
			continue;
		cr_assert_str_eq(span__get(s[i], "tool.definitions.hash")->s,
				 span__get(s[0], "tool.definitions.hash")->s, "set %d", i);
		cr_assert_str_eq(def_hash_of(s[i], "b_tool"), def_hash_of(s[0], "b_tool"));
		cr_assert_str_eq(def_hash_of(s[i], "a_tool"), def_hash_of(s[0], "a_tool"));
	}
	cr_assert_str_neq(def_hash_of(s[3], "b_tool"), def_hash_of(s[0], "b_tool"));
	/* without a cache, the same */
	{
		struct span *u = span__new("chat", SPAN_KIND_CLIENT);

		cr_assert_eq(genai_tool_defs__annotate(NULL, u, skim, t1, strlen(t1), false), 2);
		cr_assert_str_eq(span__get(u, "tool.definitions.hash")->s,
				 span__get(s[1], "tool.definitions.hash")->s);
		span__free(u);
	}
	for (int i = 0; i < 5; i++)
		span__free(s[i]);
	json_decref(skim);
	genai_tool_defs__free(d);
}

Test(contracts_drift, changed_tool_definition_is_drift)
{
	struct tool_drift *d = tool_drift__new(NULL, 5, 16);
	const char *v1 = "{\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{\"a\":1}}]}";
	const char *v2 = "{\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{\"b\":1}}]}";
	struct span *s[3];
	json_t *j;

	for (int i = 0; i < 3; i++) {
		const char *body = i == 2 ? v2 : v1;

		s[i] = span__new("chat", SPAN_KIND_CLIENT);
		j = json_loads(body, 0, NULL);
		cr_assert_eq(genai_tool_defs__annotate(NULL, s[i], j, NULL, 0, false), 1);
		json_decref(j);
		tool_drift__check(d, s[i]);
	}
	cr_assert_null(span__get(s[0], "tool.schema.drift"));
	cr_assert_null(span__get(s[1], "tool.schema.drift"));
	cr_assert_eq(span__get(s[2], "tool.schema.drift")->b, true);
	cr_assert_str_eq(attrs__get(&drift_event(s[2])->attrs, "tool.schema.drift.kind")->s,
			 "definition");
	for (int i = 0; i < 3; i++)
		span__free(s[i]);
	tool_drift__free(d);
}

/* Several tools drift in one request: each is flagged, though flagging
 * the first sets an attribute on the span whose hash list is being read. */
Test(contracts_drift, every_drifted_definition_of_one_request)
{
	struct tool_drift *d = tool_drift__new(NULL, 5, 16);
	const char *v1 = "{\"tools\":[{\"name\":\"t1\",\"input_schema\":{\"a\":1}},"
			 "{\"name\":\"t2\",\"input_schema\":{\"a\":1}},"
			 "{\"name\":\"t3\",\"input_schema\":{\"a\":1}}]}";
	const char *v2 = "{\"tools\":[{\"name\":\"t1\",\"input_schema\":{\"b\":1}},"
			 "{\"name\":\"t2\",\"input_schema\":{\"b\":1}},"
			 "{\"name\":\"t3\",\"input_schema\":{\"b\":1}}]}";
	struct span *s[2];

	for (int i = 0; i < 2; i++) {
		json_t *j = json_loads(i ? v2 : v1, 0, NULL);

		s[i] = span__new("chat", SPAN_KIND_CLIENT);
		cr_assert_eq(genai_tool_defs__annotate(NULL, s[i], j, NULL, 0, false), 3);
		json_decref(j);
		tool_drift__check(d, s[i]);
	}
	cr_assert_null(span__get(s[0], "tool.schema.drift"));
	cr_assert_eq(s[1]->n_events, 3);
	for (size_t e = 0; e < 3; e++) {
		char name[3] = { 't', (char)('1' + e), 0 };

		cr_assert_str_eq(attrs__get(&s[1]->events[e].attrs, "gen_ai.tool.name")->s, name);
	}
	for (int i = 0; i < 2; i++)
		span__free(s[i]);
	tool_drift__free(d);
}

Test(contracts_drift, changed_tools_list_schema_is_drift)
{
	struct tool_drift *d = tool_drift__new(NULL, 5, 16);
	const char *a[] = { "get_weather=" V1, "search=" V1 };
	const char *b[] = { "get_weather=" V2, "search=" V1 };
	struct span *s1 = span__new("tools/list", SPAN_KIND_CLIENT);
	struct span *s2 = span__new("tools/list", SPAN_KIND_CLIENT);
	const struct span_event *e;

	attrs__set_str_array(&s1->attrs, "mcp.tool.schema_hashes", a, 2);
	attrs__set_str_array(&s2->attrs, "mcp.tool.schema_hashes", b, 2);
	/* an LLM definition of the same name is another namespace */
	attrs__set_str_array(&s1->attrs, "tool.definition.hashes", b, 1);
	tool_drift__check(d, s1);
	tool_drift__check(d, s2);
	cr_assert_null(span__get(s1, "tool.schema.drift"));
	cr_assert_eq(span__get(s2, "tool.schema.drift")->b, true);
	e = drift_event(s2);
	cr_assert_str_eq(attrs__get(&e->attrs, "tool.schema.drift.kind")->s, "listed");
	cr_assert_str_eq(attrs__get(&e->attrs, "tool.schema.observed_hash")->s, V2);
	cr_assert_eq(s2->n_events, 1, "only get_weather changed");
	span__free(s1);
	span__free(s2);
	tool_drift__free(d);
}
