// SPDX-License-Identifier: MIT
/* The hand-off share on a sub-agent's SERVER span, through the whole span
 * path (HTTP -> gen_ai/tools/server -> graph -> trace context -> hold ->
 * file exporter), fed in the order the kernel reports a delegation between
 * two traced processes: the sub-agent answers before its caller has read
 * the answer, so the caller's CLIENT span does not exist yet when the
 * SERVER span is built.
 *
 * Such a SERVER span would wait for its caller (span_path.c, span_hold),
 * and release_held hands it to graph__after_context. For a hand-off it
 * never waits: the sub-agent's first LLM call, placed by the "server" rule,
 * resolves the served request's context (parent.c resolves the parent
 * chain), so waits_for_peer is false when the SERVER span is built. This
 * test fails when the direct path (on_exchange -> graph__after_context) is
 * broken; with release_held's call removed it still passes, which is how
 * that path was found unreachable for hand-offs. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "conn/stream.h"
#include "span_path.h"

#define TASK "Summarise the weather in Paris for a cyclist planning a long ride tomorrow morning"

static const char RUN_REQ[] =
	"POST /run HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: application/json\r\n"
	"Content-Length: %zu\r\n\r\n%s";
static const char RUN_BODY[] = "{\"task\": \"" TASK "\"}";
static const char RUN_RESP[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
	"{\"ok\":true}";
static const char LLM_REQ[] =
	"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n"
	"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s";
static const char LLM_BODY[] =
	"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":"
	"\"You are a terse sub-agent.\"},{\"role\":\"user\",\"content\":"
	"\"Task from the planner:\\n  " TASK "\"}]}";
static const char LLM_RESP_BODY[] =
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
	"\"Dry, 14C, light wind.\"},\"finish_reason\":\"stop\"}],"
	"\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":6,\"total_tokens\":36}}";
static const char LLM_RESP[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s";

static struct ar_tuple tup(uint16_t sport, uint16_t dport)
{
	struct ar_tuple t = { .family = 2, .sport = sport, .dport = dport };

	t.saddr[0] = t.daddr[0] = 127;
	t.saddr[3] = t.daddr[3] = 1;
	return t;
}

static void conn(struct conn_meta *c, uint64_t id, uint32_t tgid, uint8_t role,
		 struct ar_tuple t)
{
	memset(c, 0, sizeof(*c));
	c->conn_id = id;
	c->tgid = tgid;
	c->fd = 5;
	c->role = role;
	c->has_tuple = true;
	c->tuple = t;
	snprintf(c->comm, sizeof(c->comm), "%s", tgid == 100 ? "planner" : "subagent");
}

static void feed(struct stream_sink *k, struct conn_meta *c, int dir, const char *b,
		 uint64_t ts, uint32_t tid)
{
	size_t n = strlen(b);

	c->last_tid = tid;
	c->last_ts = ts;
	c->bytes[dir] += n;
	k->on_data(k->ctx, c, dir, (const uint8_t *)b, n, ts, tid);
}

/* The exported span named name, parsed from the OTLP JSON lines file. */
static json_t *span_named(const char *path, const char *name, json_t **doc_out)
{
	FILE *f = fopen(path, "r");
	char line[1 << 16];

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *doc = json_loads(line, 0, NULL), *rs, *ss, *sp;
		size_t i, j, k;

		json_array_foreach(json_object_get(doc, "resourceSpans"), i, rs)
			json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss)
				json_array_foreach(json_object_get(ss, "spans"), k, sp)
					if (!strcmp(json_string_value(json_object_get(sp, "name")) ?: "",
						    name)) {
						fclose(f);
						*doc_out = doc;
						return sp;
					}
		json_decref(doc);
	}
	fclose(f);
	return NULL;
}

static json_t *attr_value(const json_t *span, const char *key)
{
	const json_t *a;
	size_t i;

	json_array_foreach(json_object_get(span, "attributes"), i, a)
		if (!strcmp(json_string_value(json_object_get(a, "key")), key))
			return json_object_get(a, "value");
	return NULL;
}

Test(graph_handoff_held, share_on_the_server_span_while_its_caller_still_reads)
{
	char path[] = "/tmp/agentrace-held-XXXXXX";
	int fd = mkstemp(path);
	char *argv[] = { (char *)"agentrace", (char *)"analyze", (char *)"unused.agtrace",
			 (char *)"--exporter", (char *)"file", (char *)"-o", path, NULL };
	struct cli_opts o;
	struct span_path *sp;
	struct stream_sink k;
	struct conn_meta planner, served, llm;
	char buf[4096];
	uint64_t t = 1000000000ull;
	json_t *doc, *srv, *v;

	cr_assert_geq(fd, 0);
	close(fd);
	cli__parse(7, argv, &o);
	cr_assert_eq(span_path__new(&o, 0, &sp), 0);
	k = span_path__sink(sp);
	conn(&planner, 1, 100, AR_ROLE_CLIENT, tup(40000, 8000));
	conn(&served, 2, 200, AR_ROLE_SERVER, tup(8000, 40000));
	conn(&llm, 3, 200, AR_ROLE_CLIENT, tup(40001, 9000));
	k.on_open(k.ctx, &planner);
	k.on_open(k.ctx, &served);
	/* the planner delegates; the sub-agent reads the task */
	snprintf(buf, sizeof(buf), RUN_REQ, strlen(RUN_BODY), RUN_BODY);
	feed(&k, &planner, AR_DIR_EGRESS, buf, t, 101);
	feed(&k, &served, AR_DIR_INGRESS, buf, t + 1000, 201);
	/* ... asks its LLM while serving (same thread) */
	k.on_open(k.ctx, &llm);
	snprintf(buf, sizeof(buf), LLM_REQ, strlen(LLM_BODY), LLM_BODY);
	feed(&k, &llm, AR_DIR_EGRESS, buf, t + 2000, 201);
	snprintf(buf, sizeof(buf), LLM_RESP, strlen(LLM_RESP_BODY), LLM_RESP_BODY);
	feed(&k, &llm, AR_DIR_INGRESS, buf, t + 300000000ull, 201);
	k.on_close(k.ctx, &llm);
	/* ... and answers before the planner has read the answer */
	feed(&k, &served, AR_DIR_EGRESS, RUN_RESP, t + 300001000ull, 201);
	feed(&k, &planner, AR_DIR_INGRESS, RUN_RESP, t + 300002000ull, 101);
	k.on_close(k.ctx, &planner);
	k.on_close(k.ctx, &served);
	cr_assert_eq(span_path__finish(sp, 2000), 0);

	srv = span_named(path, "POST /run", &doc);
	unlink(path);
	cr_assert_not_null(srv, "no SERVER span exported");
	v = attr_value(srv, "agentrace.parent.source");
	cr_assert_str_eq(json_string_value(json_object_get(v, "stringValue")), "peer",
			 "the SERVER span is placed under its caller");
	v = attr_value(srv, "agentrace.graph.handoff");
	cr_assert_not_null(v, "no hand-off share on the SERVER span");
	cr_assert_str_eq(json_string_value(json_object_get(v, "stringValue")), "unchanged");
	v = attr_value(srv, "agentrace.graph.handoff.share");
	cr_assert_float_eq(json_real_value(json_object_get(v, "doubleValue")), 1.0, 1e-9);
	json_decref(doc);
}
