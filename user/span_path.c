// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "common/budget.h"
#include "common/log.h"
#include "discover/cgroup_id.h"
#include "discover/proc_table.h"
#include "export/exporter.h"
#include "genai/genai.h"
#include "graph/graph.h"
#include "inject/inject.h"
#include "keep.h"
#include "proto/http_tracker.h"
#include "server/http_server.h"
#include "span_path.h"
#include "tools/tools.h"
#include "trace/baggage.h"
#include "trace/context.h"
#include "trace/hold.h"
#include "trace/span_exchange.h"
#include "trace/traceparent.h"

/* The identity last stamped on a span. A process's spans come in runs,
 * and its identity changes only with a proc_table record (gen) or, for a
 * process discovery has not met, with the connection's comm. */
struct stamp_cache {
	bool valid;
	uint32_t tgid;
	uint64_t gen;
	char comm[AR_COMM_LEN];
	struct span_process p;
};

struct span_path {
	struct http_tracker *http;
	struct genai *genai;
	struct tools *tools;
	struct graph *graph;
	struct tracectx *tctx;
	struct span_hold *hold; /* SERVER spans waiting for their caller */
	struct exporter *exporter;
	struct keep *keep; /* metrics, contracts and sampling, before the exporter */
	struct proc_table *procs;
	uint64_t mono_to_real_ns;
	uint64_t spans, dropped;
	uint64_t server_spans; /* exchanges the traced process served */
	struct inject *inject;  /* --inject-traceparent, or NULL */
	uint64_t inject_ctx_errors; /* inject_ctx map updates refused (full) */
	span_path_target_fn is_target; /* bounded capture: spans only from targets */
	void *target_ctx;
	uint64_t untargeted; /* exchanges of untargeted processes: no span */
	struct stamp_cache stamp;
};

/* snprintf(dst, cap, "%s", src) without the format machinery (this runs
 * for every span). */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Process identity, from discovery when it met the process, else from
 * what the kernel told us about the connection. */
static void fill_process(const struct proc_table *procs, const struct http_exchange *x,
			 struct span_process *p)
{
	const struct ar_proc_info *pi = proc_table__get(procs, x->conn->tgid);
	const struct ar_proc_runtime *rt = proc_table__get_runtime(procs, x->conn->tgid);
	const char *exe = x->conn->comm;
	const char *qos;

	memset(p, 0, sizeof(*p));
	p->pid = x->conn->tgid;
	if (pi) {
		const char *slash = strrchr(pi->exe_path, '/');

		if (pi->exe_path[0])
			exe = slash ? slash + 1 : pi->exe_path;
		copy_str(p->exe_path, sizeof(p->exe_path), pi->exe_path);
		copy_str(p->container_id, sizeof(p->container_id), pi->container_id);
		copy_str(p->pod_uid, sizeof(p->pod_uid), pi->pod_uid);
		qos = cgroup_id__qos(pi->cgroup_path);
		copy_str(p->qos_class, sizeof(p->qos_class), qos ? qos : "");
	}
	if (rt) {
		copy_str(p->owner, sizeof(p->owner), rt->owner);
		copy_str(p->runtime_name, sizeof(p->runtime_name), rt->runtime_name);
		copy_str(p->runtime_version, sizeof(p->runtime_version), rt->runtime_version);
	}
	copy_str(p->exe_name, sizeof(p->exe_name), exe);
	copy_str(p->service_name, sizeof(p->service_name),
		 pi && pi->service_name[0] ? pi->service_name : exe);
}

static void stamp_process(struct span_path *sp, struct span *s, const struct http_exchange *x)
{
	struct stamp_cache *c = &sp->stamp;
	uint64_t gen = proc_table__gen(sp->procs);

	if (!c->valid || c->tgid != x->conn->tgid || c->gen != gen ||
	    memcmp(c->comm, x->conn->comm, sizeof(c->comm))) {
		fill_process(sp->procs, x, &c->p);
		c->tgid = x->conn->tgid;
		c->gen = gen;
		memcpy(c->comm, x->conn->comm, sizeof(c->comm));
		c->valid = true;
	}
	s->proc = c->p;
	span__set_int(s, "process.pid", s->proc.pid);
	span__set_str(s, "process.executable.name", s->proc.exe_name);
	span__set_int(s, "thread.id", s->tid);
}

/* An exchange the process served is one SERVER span (with the gen_ai or
 * MCP attributes of what it served), never a second CLIENT span. */
static struct span *server_span(struct span_path *sp, const struct http_exchange *x)
{
	struct span *s = http_server__span(x, sp->mono_to_real_ns);
	struct span *call = s ? genai__span_from_exchange(sp->genai, x, sp->mono_to_real_ns) : NULL;

	if (s && !call)
		call = tools__span_from_exchange(sp->tools, x, sp->mono_to_real_ns);
	if (call && http_server__add_call(s, call)) {
		span__free(s);
		s = NULL;
	}
	span__free(call);
	sp->server_spans += s != NULL;
	return s;
}

static void submit(struct span_path *sp, struct span *s, int err)
{
	if (err) {
		span__free(s);
		sp->dropped++;
		return;
	}
	sp->spans++;
	if (keep__span(sp->keep, s))
		sp->dropped++;
}

static int held_ready(void *ctx, const struct span_hold_item *it)
{
	struct span_path *sp = ctx;

	return tracectx__peer_known(sp->tctx, it->conn_id, it->req_index);
}

/* Spans whose caller showed up, or that waited long enough. */
static void release_held(struct span_path *sp, uint64_t now)
{
	struct span_hold_item it;

	while (span_hold__pop(sp->hold, now, held_ready, sp, &it)) {
		int err = tracectx__apply_held(sp->tctx, it.span, it.conn_id, it.req_index, true);

		/* A held SERVER span never gets a hand-off share here: a served
		 * request with an LLM call placed under it is resolved, so it
		 * never waits (tests/unit/test_graph_held.c). The call stays
		 * because it frees the copy of the span's request body that
		 * handoff__on_served kept, which would otherwise sit in the
		 * graph's ring, naming a freed span, until overwritten. */
		if (!err && sp->graph)
			graph__after_context(sp->graph, it.span);
		submit(sp, it.span, err);
	}
}

static void on_exchange(void *ctx, const struct http_exchange *x)
{
	struct span_path *sp = ctx;
	struct span *s;
	int err;

	if (sp->is_target && !sp->is_target(sp->target_ctx, x->conn->tgid, x->conn->conn_id)) {
		sp->untargeted++;
		return;
	}
	if (x->inbound)
		s = server_span(sp, x);
	else if (!(s = genai__span_from_exchange(sp->genai, x, sp->mono_to_real_ns)))
		s = tools__span_from_exchange(sp->tools, x, sp->mono_to_real_ns);
	if (!s)
		return;
	stamp_process(sp, s, x);
	span__mark_evicted(s, x);
	if (sp->graph)
		graph__on_span(sp->graph, s, x);
	err = tracectx__apply_exchange(sp->tctx, s, x, false);
	if (err == -EAGAIN) {
		struct span_hold_item it = { s, x->conn->conn_id, x->req_index,
					     x->resp.ts_last + SPAN_HOLD_WAIT_NS };

		if (!span_hold__push(sp->hold, &it))
			goto release;
		err = tracectx__apply_exchange(sp->tctx, s, x, true);
	}
	/* the graph's decision slot holds this span only until now; a held
	 * SERVER span is never one the graph placed */
	if (!err && sp->graph) {
		graph__after_context(sp->graph, s);
		tracectx__settle(sp->tctx, s, x);
	}
	submit(sp, s, err);
release:
	release_held(sp, x->resp.ts_last ? x->resp.ts_last : x->req.ts_last);
}

/* The graph's own spans (invoke_agent, execute_tool) are complete. */
static void emit_graph_span(void *ctx, struct span *s)
{
	submit(ctx, s, 0);
}

/* --inject-traceparent: while x's thread serves x, its outbound requests
 * carry x's trace (the kernel reads inject_ctx by thread id). The kernel
 * decides a plaintext request's ids itself at the read (bpf/serve.bpf.h);
 * userspace then only adds baggage, or a trace a caller on this host
 * decided, once that record is in (span_path__inject). */
static void serve_inject_ctx(struct span_path *sp, const struct http_exchange *x, bool serving)
{
	struct ar_inject_ctx c;

	if (!serving) {
		inject__clear_ctx(sp->inject, x->req.tid);
		return;
	}
	if (tracectx__inject_ctx(sp->tctx, x, &c) == 0 && inject__set_ctx(sp->inject, x->req.tid, &c))
		sp->inject_ctx_errors++;
}

/* Trace context is decided while requests are still being served. */
static void on_milestone(void *ctx, const struct http_exchange *x, enum http_milestone what)
{
	struct span_path *sp = ctx;

	if (what == HTTP_REQ_HEADERS)
		tracectx__request(sp->tctx, x);
	else
		tracectx__response(sp->tctx, x);
	/* a plaintext socket's request: wait for the kernel's ids */
	if (sp->inject && x->inbound && x->conn && (x->conn->is_tls || what != HTTP_REQ_HEADERS))
		serve_inject_ctx(sp, x, what == HTTP_REQ_HEADERS);
}

static int exporter_config(const struct cli_opts *o, struct export_config *cfg)
{
	int err;

	export_config__init(cfg);
	err = export_config__from_env(cfg, export_config__process_env, NULL);
	if (err)
		return err;
	/* A capture file is read faster than any exporter writes: analyze
	 * waits for the queue, where live tracing must drop to keep up. */
	cfg->wait_for_room = o->mode == CLI_ANALYZE || o->mode == CLI_CONTRACTS;
	if (o->exporter) {
		if (!strcmp(o->exporter, "console"))
			cfg->kind = EXPORT_CONSOLE;
		else if (!strcmp(o->exporter, "otlp"))
			cfg->kind = EXPORT_OTLP;
		else if (!strcmp(o->exporter, "file"))
			cfg->kind = EXPORT_FILE;
		else
			cfg->kind = EXPORT_NONE;
	}
	if (cfg->kind == EXPORT_FILE) {
		free(cfg->output_path);
		cfg->output_path = strdup(o->output);
		if (!cfg->output_path)
			return -ENOMEM;
	}
	if (cfg->kind == EXPORT_OTLP && !cfg->endpoint) {
		cfg->endpoint = strdup(export_config__default_endpoint(cfg->protocol));
		if (!cfg->endpoint)
			return -ENOMEM;
	}
	return 0;
}

int span_path__new(const struct cli_opts *o, uint64_t mono_to_real_ns, struct span_path **out)
{
	struct span_path *sp = calloc(1, sizeof(*sp));
	struct http_cfg hc = { .max_header_bytes = o->max_header_bytes,
			       .max_body_bytes = o->max_body_bytes,
			       .on_milestone = on_milestone };
	struct genai_cfg gc = { .capture_content = o->capture_content,
				.content_max_bytes = o->content_max_bytes };
	struct tools_cfg tc = { .capture_content = o->capture_content };
	struct graph_cfg grc = { .capture_content = o->capture_content,
				 .idle_ms = o->turn_idle_ms,
				 .mono_to_real_ns = mono_to_real_ns,
				 .emit = emit_graph_span, .emit_ctx = sp };
	/* A NULL list keeps that list's default. */
	struct tracectx_cfg tcc = {
		.tenant_baggage_keys = o->n_tenant_baggage_keys ? o->tenant_baggage_keys : NULL,
		.n_tenant_baggage_keys = o->n_tenant_baggage_keys,
		.tenant_headers = o->n_tenant_headers ? o->tenant_headers : NULL,
		.n_tenant_headers = o->n_tenant_headers,
		.baggage_allow = o->n_baggage_attrs ? o->baggage_attrs : NULL,
		.n_baggage_allow = o->n_baggage_attrs,
	};
	struct export_config ec;
	int err;
	size_t attr_max = o->max_attr_bytes ? o->max_attr_bytes : ATTR_VALUE_MAX_DEFAULT;

	if (!sp)
		return -ENOMEM;
	/* captured content has its own cap, which the value cap never undercuts */
	attrs__set_value_max(attr_max > o->content_max_bytes ? attr_max : o->content_max_bytes);
	if (o->buffer_budget_set)
		budget__set(o->buffer_budget_mb << 20);
	sp->mono_to_real_ns = mono_to_real_ns;
	err = exporter_config(o, &ec);
	if (err) {
		warn("bad exporter configuration: %s", strerror(-err));
		export_config__release(&ec);
		goto cleanup;
	}
	sp->exporter = exporter__new(&ec);
	err = sp->exporter ? keep__new(o, &ec, sp->exporter, &sp->keep) : -ENOMEM;
	export_config__release(&ec);
	if (err)
		goto cleanup;
	err = -ENOMEM;
	sp->procs = proc_table__new();
	if (!o->no_graph) {
		sp->graph = graph__new(&grc);
		if (!sp->graph)
			goto cleanup;
		gc.observe = graph__observe_llm;
		gc.observe_ctx = sp->graph;
	}
	sp->genai = genai__new(&gc);
	sp->tools = tools__new(&tc);
	sp->tctx = tracectx__new(&tcc);
	if (!sp->tctx)
		warn("bad tenant or baggage options: %s", strerror(errno));
	sp->http = http_tracker__new(&hc, on_exchange, sp);
	sp->hold = span_hold__new(0);
	if (!sp->procs || !sp->genai || !sp->tools || !sp->tctx || !sp->http || !sp->hold)
		goto cleanup;
	*out = sp;
	return 0;
cleanup:
	span_path__finish(sp, 0);
	return err;
}

struct stream_sink span_path__sink(struct span_path *sp)
{
	return http_tracker__sink(sp->http);
}

void span_path__proc_info(struct span_path *sp, const struct ar_proc_info *rec)
{
	proc_table__put(sp->procs, rec);
}

void span_path__proc_runtime(struct span_path *sp, const struct ar_proc_runtime *rec)
{
	proc_table__put_runtime(sp->procs, rec);
}

void span_path__inject(struct span_path *sp, const struct ar_inject_event *rec)
{
	struct ar_inject_ctx c;

	tracectx__injected(sp->tctx, rec);
	if (sp->inject && tracectx__served_record_ctx(sp->tctx, rec, &c) == 0 &&
	    inject__set_ctx(sp->inject, rec->hdr.tid, &c))
		sp->inject_ctx_errors++;
}

void span_path__set_inject(struct span_path *sp, struct inject *in)
{
	sp->inject = in;
}

void span_path__set_targets(struct span_path *sp, span_path_target_fn fn, void *ctx)
{
	sp->is_target = fn;
	sp->target_ctx = ctx;
}

void span_path__tick(struct span_path *sp, uint64_t now)
{
	release_held(sp, now);
	keep__tick(sp->keep, now);
	if (sp->graph)
		graph__tick(sp->graph, now);
}

void span_path__observe_stats(struct span_path *sp, const char *stats)
{
	keep__observe_stats(sp->keep, stats);
}

void span_path__print_stats(const struct span_path *sp, FILE *f)
{
	struct graph_stats grs;
	struct http_stats hs;
	struct genai_stats gs;
	struct tools_stats tls;
	struct tracectx_stats ts;
	struct export_stats es;
	struct budget_stats bs;

	http_tracker__stats(sp->http, &hs);
	genai__stats(sp->genai, &gs);
	tools__stats(sp->tools, &tls);
	tracectx__stats(sp->tctx, &ts);
	exporter__stats(sp->exporter, &es);
	memset(&grs, 0, sizeof(grs));
	if (sp->graph)
		graph__stats(sp->graph, &grs);
	fprintf(f, "http: exchanges=%" PRIu64 " resyncs=%" PRIu64 " parse_errors=%" PRIu64
		" header_overflows=%" PRIu64 " body_truncated=%" PRIu64 " decode_errors=%" PRIu64
		" unpaired_responses=%" PRIu64 " non_http_bytes=%" PRIu64 "\n",
		hs.exchanges, hs.resyncs, hs.parse_errors, hs.header_overflows, hs.body_truncated,
		hs.decode_errors, hs.unpaired_responses, hs.non_http_bytes);
	fprintf(f, "http2: conns=%" PRIu64 " streams_reset=%" PRIu64 " streams_dropped=%" PRIu64
		" hpack_errors=%" PRIu64 " dirs_lost=%" PRIu64 " bad_frames=%" PRIu64 "\n",
		hs.h2_conns, hs.h2_streams_reset, hs.h2_streams_dropped, hs.h2_hpack_errors,
		hs.h2_dirs_lost, hs.h2_bad_frames);
	budget__stats(&bs);
	fprintf(f, "limits: buffered_bytes=%" PRIu64 " buffered_peak=%" PRIu64
		" budget_refused=%" PRIu64 " budget_refused_bytes=%" PRIu64
		" budget_evicted=%" PRIu64 " budget_evicted_bytes=%" PRIu64
		" mcp_ids_dropped=%" PRIu64 " attrs_truncated=%" PRIu64
		" dropped_queue_bytes=%" PRIu64 " queued_bytes=%" PRIu64, bs.used, bs.peak,
		bs.refused, bs.refused_bytes, bs.evicted, bs.evicted_bytes, tls.ids_dropped, es.attrs_truncated,
		es.dropped_queue_bytes, es.queued_bytes);
	for (int i = 1; i < DECODE_STOP__COUNT; i++)
		fprintf(f, " decode_stop_%s=%" PRIu64, decode__stop_str(i), hs.decode_stops[i]);
	fputc('\n', f);
	fprintf(f, "spans: built=%" PRIu64 " dropped=%" PRIu64 " genai_exchanges=%" PRIu64
		" server=%" PRIu64 " traceparent_joined=%" PRIu64 " new_traces=%" PRIu64
		" untargeted=%" PRIu64 "\n",
		sp->spans, sp->dropped, gs.exchanges, sp->server_spans, ts.joined, ts.new_traces,
		sp->untargeted);
	fprintf(f, "trace: tenant_from_baggage=%" PRIu64 " tenant_from_header=%" PRIu64
		" tenant_rejected=%" PRIu64 " parent_server=%" PRIu64 " parent_peer=%" PRIu64
		" parent_injected=%" PRIu64 " parent_ambiguous=%" PRIu64 " requests_evicted_open=%" PRIu64
		" injected_ids_unmatched=%" PRIu64 " inject_ctx_late=%" PRIu64
		" inject_ctx_errors=%" PRIu64 " serve_diverged=%" PRIu64 " serve_mismatch=%" PRIu64
		" serve_late=%" PRIu64 " serve_ids_unmatched=%" PRIu64,
		ts.tenant_from_baggage, ts.tenant_from_header, ts.tenant_rejected, ts.from_server,
		ts.from_peer, ts.parent.by_source[PARENT_INJECTED], ts.parent.ambiguous,
		ts.requests.evicted_open, ts.injected.overwritten, ts.parent.inject_ctx_late,
		sp->inject_ctx_errors, ts.parent.serve_diverged, ts.parent.serve_mismatch,
		ts.serve_late, ts.served.overwritten);
	for (int i = 0; i < TRACEPARENT__COUNT; i++)
		if (ts.traceparent_invalid[i])
			fprintf(f, " traceparent_%s=%" PRIu64, traceparent__res_str(i),
				ts.traceparent_invalid[i]);
	for (int i = 0; i < TRACESTATE__COUNT; i++)
		if (ts.tracestate_dropped[i])
			fprintf(f, " tracestate_%s=%" PRIu64, tracestate__res_str(i),
				ts.tracestate_dropped[i]);
	for (int i = 0; i < BAGGAGE__COUNT; i++)
		if (ts.baggage_dropped[i])
			fprintf(f, " baggage_%s=%" PRIu64, baggage__res_str(i), ts.baggage_dropped[i]);
	fputc('\n', f);
	fprintf(f, "tools: mcp=%" PRIu64 " blackbox=%" PRIu64 " server=%" PRIu64
		" telemetry=%" PRIu64 " json_errors=%" PRIu64 " sse_errors=%" PRIu64
		" no_rpc_response=%" PRIu64 " hash_truncated=%" PRIu64 " hash_too_big=%" PRIu64
		" schema_hashes=%" PRIu64 " schema_not_json=%" PRIu64 " schema_too_big=%" PRIu64
		" nomem=%" PRIu64 "\n",
		tls.mcp_spans, tls.blackbox_spans, tls.server_spans, tls.telemetry, tls.json_errors,
		tls.sse_errors, tls.no_rpc_response, tls.hash_truncated, tls.hash_too_big,
		tls.schema_hashes, tls.schema_not_json, tls.schema_too_big, tls.nomem);
	fprintf(f, "graph: llm_calls=%" PRIu64 " conversations=%" PRIu64 " chained=%" PRIu64
		" turns=%" PRIu64 " turns_final=%" PRIu64 " turns_timeout=%" PRIu64
		" tool_calls=%" PRIu64 " consumed=%" PRIu64 " not_executed=%" PRIu64
		" children_mcp=%" PRIu64 " children_args=%" PRIu64 " children_order=%" PRIu64
		" links=%" PRIu64 " windows_dropped=%" PRIu64 " output_over_budget=%" PRIu64
		" handoffs=%" PRIu64 " handoffs_unmatched=%" PRIu64 " nomem=%" PRIu64 "\n",
		grs.llm_calls, grs.conversations, grs.chained, grs.turns, grs.turns_final,
		grs.turns_timeout, grs.tool_calls, grs.tools_consumed, grs.tools_not_executed,
		grs.child_mcp, grs.child_args, grs.child_order, grs.links, grs.windows_dropped,
		grs.output_over_budget, grs.handoffs, grs.handoffs_unmatched, grs.nomem);
	fprintf(f, "export: exported=%" PRIu64 " requests_ok=%" PRIu64 " requests_failed=%" PRIu64
		" retries=%" PRIu64 " dropped_queue_full=%" PRIu64 " dropped_failed=%" PRIu64
		" dropped_shutdown=%" PRIu64 " partial_rejected=%" PRIu64 " queued=%" PRIu64 "\n",
		es.exported_spans, es.export_requests_ok, es.export_requests_failed, es.retries,
		es.dropped_queue_full, es.dropped_failed, es.dropped_shutdown,
		es.partial_success_rejected, es.queued);
	keep__print_stats(sp->keep, f);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int deadline_left(uint64_t t0, int deadline_ms)
{
	uint64_t spent = mono_ms() - t0;

	return deadline_ms <= 0 ? deadline_ms : spent < (uint64_t)deadline_ms ? deadline_ms - (int)spent : 1;
}

int span_path__finish(struct span_path *sp, int deadline_ms)
{
	uint64_t t0 = mono_ms();
	int err = 0;

	if (!sp)
		return 0;
	http_tracker__free(sp->http);
	if (sp->hold && sp->keep)
		release_held(sp, UINT64_MAX);
	span_hold__free(sp->hold);
	graph__free(sp->graph); /* ends open turns: emits before the flush */
	keep__finish(sp->keep, deadline_ms); /* flushes held traces into the exporter */
	if (sp->exporter) /* one deadline for both: what keep spent is gone */
		err = exporter__shutdown(sp->exporter, deadline_left(t0, deadline_ms));
	keep__free(sp->keep);
	tracectx__free(sp->tctx);
	genai__free(sp->genai);
	tools__free(sp->tools);
	proc_table__free(sp->procs);
	free(sp);
	return err;
}
