// SPDX-License-Identifier: MIT
/* Tool contracts: file parsing and its errors, matching, drift flagging and
 * learning, the contracts dump. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jyaml.h"
#include "contracts/drift.h"
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
	struct drift *d;
	struct drift_stats st;
	struct span *ok = weather("/tools/v1/weather", V1, 200);
	struct span *bad = weather("/tools/v1/weather", V2, 200);
	struct span *other = weather("/tools/v3/other", V2, 200);
	const struct span_event *e;
	const struct attr *a;
	char err[256];

	cr_assert_eq(parse("tools:\n  - host: api.weather.test\n    path: /tools/v1/weather\n"
			   "    version: 1\n    schema_hashes: [" V1 "]\n", &cs, err), 0, "%s", err);
	d = drift__new(&cs, 0, 16);
	drift__check(d, ok);
	drift__check(d, bad);
	drift__check(d, bad); /* flagged again, logged once */
	drift__check(d, other);
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
	drift__stats(d, &st);
	cr_assert_eq(st.checked, 4);
	cr_assert_eq(st.matched, 1);
	cr_assert_eq(st.drifted, 2);
	cr_assert_eq(st.undeclared, 1);
	drift__free(d);
	span__free(ok);
	span__free(bad);
	span__free(other);
}

Test(contracts_drift, learning_after_warm_up)
{
	struct drift *d = drift__new(NULL, 3, 16);
	struct span *s[6];

	s[0] = weather("/w", V1, 200);
	s[1] = weather("/w", V1, 200);
	s[2] = weather("/w", V2, 200); /* warm-up: a second shape is learned too */
	s[3] = weather("/w", V1, 200);
	s[4] = weather("/w", "3333333333333333", 200);
	s[5] = weather("/w", "4444444444444444", 500); /* an error body is not judged */
	for (int i = 0; i < 6; i++)
		drift__check(d, s[i]);
	for (int i = 0; i < 3; i++)
		cr_assert_null(span__get(s[i], "tool.schema.drift"));
	cr_assert_eq(span__get(s[3], "tool.schema.drift")->b, false);
	cr_assert_eq(span__get(s[4], "tool.schema.drift")->b, true);
	cr_assert_eq(attrs__get(&drift_event(s[4])->attrs, "tool.schema.expected_hashes")->arr.n, 2);
	cr_assert_null(span__get(s[5], "tool.schema.drift"));
	for (int i = 0; i < 6; i++)
		span__free(s[i]);
	drift__free(d);
}

Test(contracts_drift, dump_round_trips_through_the_parser)
{
	struct drift *d = drift__new(NULL, UINT32_MAX, 16);
	struct span *a = weather("/tools/v1/weather", V1, 200), *b = weather("/tools/v1/weather", V2, 200);
	struct span *m = span__new("tools/call", SPAN_KIND_CLIENT);
	struct contract_set cs;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	span__set_str(m, "gen_ai.tool.name", "get \"weather\"");
	span__set_str(m, "tool.schema.hash", V1);
	drift__check(d, a);
	drift__check(d, b);
	drift__check(d, m);
	cr_assert_eq(drift__dump(d, f), 0);
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
	drift__free(d);
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
