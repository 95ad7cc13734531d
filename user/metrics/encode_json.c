// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "export/otlp_json_kv.h"
#include "export/otlp_resource.h"
#include "metrics/encode.h"

#ifndef AGENTRACE_VERSION
#define AGENTRACE_VERSION "0.0.0"
#endif

static json_t *json_point(const struct mpoint *p, bool *oom)
{
	json_t *d = json_object(), *bc, *eb;

	if (!d) {
		*oom = true;
		return NULL;
	}
	ojson__put(d, "attributes", ojson__key_values(&p->attrs), oom);
	if (p->inst->kind != MINST_GAUGE)
		ojson__put(d, "startTimeUnixNano", ojson__u64(p->start_ns), oom);
	ojson__put(d, "timeUnixNano", ojson__u64(p->time_ns), oom);
	if (p->inst->kind != MINST_HISTOGRAM) {
		ojson__put(d, "asInt", ojson__i64(p->value), oom);
		return d;
	}
	ojson__put(d, "count", ojson__u64(p->count), oom);
	ojson__put(d, "sum", ojson__double(p->sum), oom);
	bc = json_array();
	eb = json_array();
	for (size_t i = 0; bc && i <= p->inst->n_bounds; i++)
		ojson__append(bc, ojson__u64(p->buckets[i]), oom);
	for (size_t i = 0; eb && i < p->inst->n_bounds; i++)
		ojson__append(eb, ojson__double(p->inst->bounds[i]), oom);
	ojson__put(d, "bucketCounts", bc, oom);
	ojson__put(d, "explicitBounds", eb, oom);
	if (p->count) {
		ojson__put(d, "min", ojson__double(p->min), oom);
		ojson__put(d, "max", ojson__double(p->max), oom);
	}
	return d;
}

static json_t *json_metric(const struct mpoint **v, size_t n, bool delta, bool *oom)
{
	const struct minst *in = v[0]->inst;
	json_t *m = json_object(), *data = json_object(), *pts = json_array();
	const char *field = in->kind == MINST_HISTOGRAM ? "histogram"
			    : in->kind == MINST_SUM	 ? "sum"
							 : "gauge";

	if (!m || !data || !pts) {
		json_decref(m);
		json_decref(data);
		json_decref(pts);
		*oom = true;
		return NULL;
	}
	ojson__put(m, "name", json_string(in->name), oom);
	ojson__put(m, "description", json_string(in->desc), oom);
	ojson__put(m, "unit", json_string(in->unit), oom);
	for (size_t i = 0; i < n; i++)
		ojson__append(pts, json_point(v[i], oom), oom);
	ojson__put(data, "dataPoints", pts, oom);
	if (in->kind != MINST_GAUGE)
		ojson__put(data, "aggregationTemporality", json_integer(delta ? 1 : 2), oom);
	if (in->kind == MINST_SUM)
		ojson__put(data, "isMonotonic", json_true(), oom);
	ojson__put(m, field, data, oom);
	return m;
}

static json_t *json_resource(const struct mpoint **v, size_t n, bool delta,
			     const struct attr_list *extra, bool *oom)
{
	json_t *rm = json_object(), *res = json_object(), *scope = json_object();
	json_t *sm = json_object(), *smv = json_array(), *ms = json_array();
	struct attr_list ra = { 0 };

	if (otlp_resource__attrs(&ra, &v[0]->proc, extra))
		*oom = true;
	for (size_t i = 0, j; ms && i < n; i = j) {
		for (j = i + 1; j < n && v[j]->inst == v[i]->inst; j++)
			;
		ojson__append(ms, json_metric(v + i, j - i, delta, oom), oom);
	}
	if (res)
		ojson__put(res, "attributes", ojson__key_values(&ra), oom);
	attrs__clear(&ra);
	if (scope) {
		ojson__put(scope, "name", json_string(OTLP_SCOPE_NAME), oom);
		ojson__put(scope, "version", json_string(AGENTRACE_VERSION), oom);
	}
	if (sm) {
		ojson__put(sm, "scope", scope, oom);
		ojson__put(sm, "metrics", ms, oom);
	} else {
		json_decref(scope);
		json_decref(ms);
	}
	if (smv)
		ojson__append(smv, sm, oom);
	else
		json_decref(sm);
	if (rm) {
		ojson__put(rm, "resource", res, oom);
		ojson__put(rm, "scopeMetrics", smv, oom);
	} else {
		json_decref(res);
		json_decref(smv);
		*oom = true;
	}
	return rm;
}

char *metrics_json__encode(const struct mbatch *b, bool delta, const struct attr_list *resource)
{
	const struct mpoint **v = metrics_encode__order(b);
	json_t *root = json_object(), *rms = json_array();
	bool oom = !v || !root || !rms;
	char *out = NULL;

	for (size_t i = 0, j; !oom && i < b->n; i = j) {
		for (j = i + 1; j < b->n && metrics_encode__same_resource(v[i], v[j]); j++)
			;
		ojson__append(rms, json_resource(v + i, j - i, delta, resource, &oom), &oom);
	}
	if (root && rms) {
		ojson__put(root, "resourceMetrics", rms, &oom);
		rms = NULL;
	}
	if (!oom)
		out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rms);
	json_decref(root);
	free(v);
	return out;
}
