// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "common/log.h"
#include "discover/cgroup_id.h"
#include "discover/proc_table.h"
#include "export/exporter.h"
#include "genai/genai.h"
#include "proto/http_tracker.h"
#include "span_path.h"
#include "tools/tools.h"
#include "trace/baggage.h"
#include "trace/context.h"
#include "trace/traceparent.h"

struct span_path {
	struct http_tracker *http;
	struct genai *genai;
	struct tools *tools;
	struct tracectx *tctx;
	struct exporter *exporter;
	struct proc_table *procs;
	uint64_t mono_to_real_ns;
	uint64_t spans, dropped;
};

/* Process identity, from discovery when it met the process, else from
 * what the kernel told us about the connection. */
static void stamp_process(struct span_path *sp, struct span *s, const struct http_exchange *x)
{
	const struct ar_proc_info *pi = proc_table__get(sp->procs, x->conn->tgid);
	struct span_process *p = &s->proc;
	const char *exe = x->conn->comm;
	const char *qos;

	p->pid = x->conn->tgid;
	if (pi) {
		const char *slash = strrchr(pi->exe_path, '/');

		if (pi->exe_path[0])
			exe = slash ? slash + 1 : pi->exe_path;
		snprintf(p->exe_path, sizeof(p->exe_path), "%s", pi->exe_path);
		snprintf(p->container_id, sizeof(p->container_id), "%s", pi->container_id);
		snprintf(p->pod_uid, sizeof(p->pod_uid), "%s", pi->pod_uid);
		qos = cgroup_id__qos(pi->cgroup_path);
		snprintf(p->qos_class, sizeof(p->qos_class), "%s", qos ? qos : "");
	}
	snprintf(p->exe_name, sizeof(p->exe_name), "%s", exe);
	snprintf(p->service_name, sizeof(p->service_name), "%s",
		 pi && pi->service_name[0] ? pi->service_name : exe);
	span__set_int(s, "process.pid", p->pid);
	span__set_str(s, "process.executable.name", p->exe_name);
	span__set_int(s, "thread.id", s->tid);
}

static void on_exchange(void *ctx, const struct http_exchange *x)
{
	struct span_path *sp = ctx;
	struct span *s = genai__span_from_exchange(sp->genai, x, sp->mono_to_real_ns);

	if (!s)
		s = tools__span_from_exchange(sp->tools, x, sp->mono_to_real_ns);
	if (!s)
		return;
	stamp_process(sp, s, x);
	if (tracectx__apply(sp->tctx, s, &x->req)) {
		span__free(s);
		sp->dropped++;
		return;
	}
	sp->spans++;
	if (exporter__submit(sp->exporter, s))
		sp->dropped++;
}

static int exporter_config(const struct cli_opts *o, struct export_config *cfg)
{
	int err;

	export_config__init(cfg);
	err = export_config__from_env(cfg, export_config__process_env, NULL);
	if (err)
		return err;
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
		cfg->endpoint = strdup(OTLP_DEFAULT_ENDPOINT);
		if (!cfg->endpoint)
			return -ENOMEM;
	}
	return 0;
}

int span_path__new(const struct cli_opts *o, uint64_t mono_to_real_ns, struct span_path **out)
{
	struct span_path *sp = calloc(1, sizeof(*sp));
	struct http_cfg hc = { .max_header_bytes = o->max_header_bytes,
			       .max_body_bytes = o->max_body_bytes };
	struct genai_cfg gc = { .capture_content = o->capture_content,
				.content_max_bytes = o->content_max_bytes };
	struct tools_cfg tc = { .capture_content = o->capture_content };
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

	if (!sp)
		return -ENOMEM;
	sp->mono_to_real_ns = mono_to_real_ns;
	err = exporter_config(o, &ec);
	if (err) {
		warn("bad exporter configuration: %s", strerror(-err));
		export_config__release(&ec);
		goto cleanup;
	}
	sp->exporter = exporter__new(&ec);
	export_config__release(&ec);
	err = -ENOMEM;
	if (!sp->exporter)
		goto cleanup;
	sp->procs = proc_table__new();
	sp->genai = genai__new(&gc);
	sp->tools = tools__new(&tc);
	sp->tctx = tracectx__new(&tcc);
	if (!sp->tctx)
		warn("bad tenant or baggage options: %s", strerror(errno));
	sp->http = http_tracker__new(&hc, on_exchange, sp);
	if (!sp->procs || !sp->genai || !sp->tools || !sp->tctx || !sp->http)
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

void span_path__print_stats(const struct span_path *sp, FILE *f)
{
	struct http_stats hs;
	struct genai_stats gs;
	struct tools_stats tls;
	struct tracectx_stats ts;
	struct export_stats es;

	http_tracker__stats(sp->http, &hs);
	genai__stats(sp->genai, &gs);
	tools__stats(sp->tools, &tls);
	tracectx__stats(sp->tctx, &ts);
	exporter__stats(sp->exporter, &es);
	fprintf(f, "http: exchanges=%" PRIu64 " resyncs=%" PRIu64 " parse_errors=%" PRIu64
		" header_overflows=%" PRIu64 " body_truncated=%" PRIu64 " decode_errors=%" PRIu64
		" unpaired_responses=%" PRIu64 " non_http_bytes=%" PRIu64 "\n",
		hs.exchanges, hs.resyncs, hs.parse_errors, hs.header_overflows, hs.body_truncated,
		hs.decode_errors, hs.unpaired_responses, hs.non_http_bytes);
	fprintf(f, "http2: conns=%" PRIu64 " streams_reset=%" PRIu64 " streams_dropped=%" PRIu64
		" hpack_errors=%" PRIu64 " dirs_lost=%" PRIu64 " bad_frames=%" PRIu64 "\n",
		hs.h2_conns, hs.h2_streams_reset, hs.h2_streams_dropped, hs.h2_hpack_errors,
		hs.h2_dirs_lost, hs.h2_bad_frames);
	fprintf(f, "spans: built=%" PRIu64 " dropped=%" PRIu64 " genai_exchanges=%" PRIu64
		" traceparent_joined=%" PRIu64 " new_traces=%" PRIu64 "\n",
		sp->spans, sp->dropped, gs.exchanges, ts.joined, ts.new_traces);
	fprintf(f, "trace: tenant_from_baggage=%" PRIu64 " tenant_from_header=%" PRIu64
		" tenant_rejected=%" PRIu64, ts.tenant_from_baggage, ts.tenant_from_header,
		ts.tenant_rejected);
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
	fprintf(f, "export: exported=%" PRIu64 " requests_ok=%" PRIu64 " requests_failed=%" PRIu64
		" retries=%" PRIu64 " dropped_queue_full=%" PRIu64 " dropped_failed=%" PRIu64
		" dropped_shutdown=%" PRIu64 " partial_rejected=%" PRIu64 "\n",
		es.exported_spans, es.export_requests_ok, es.export_requests_failed, es.retries,
		es.dropped_queue_full, es.dropped_failed, es.dropped_shutdown,
		es.partial_success_rejected);
}

int span_path__finish(struct span_path *sp, int deadline_ms)
{
	int err = 0;

	if (!sp)
		return 0;
	http_tracker__free(sp->http);
	if (sp->exporter)
		err = exporter__shutdown(sp->exporter, deadline_ms);
	tracectx__free(sp->tctx);
	genai__free(sp->genai);
	tools__free(sp->tools);
	proc_table__free(sp->procs);
	free(sp);
	return err;
}
