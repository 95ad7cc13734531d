// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_metrics.pb-c.h"

#include "export/otlp_pb_kv.h"
#include "export/otlp_resource.h"
#include "metrics/encode.h"

#ifndef AGENTRACE_VERSION
#define AGENTRACE_VERSION "0.0.0"
#endif

static Otlp__HistogramDataPoint *pb_hist_point(struct arena *ar, const struct mpoint *p)
{
	Otlp__HistogramDataPoint *d = arena__alloc(ar, sizeof(*d));

	if (!d)
		return NULL;
	otlp__histogram_data_point__init(d);
	if (otlp_pb__key_values(ar, &p->attrs, &d->attributes, &d->n_attributes))
		return NULL;
	d->start_time_unix_nano = p->start_ns;
	d->time_unix_nano = p->time_ns;
	d->count = p->count;
	d->_sum_case = OTLP__HISTOGRAM_DATA_POINT___SUM_SUM;
	d->sum = p->sum;
	d->n_bucket_counts = p->inst->n_bounds + 1;
	d->bucket_counts = p->buckets;
	d->n_explicit_bounds = p->inst->n_bounds;
	d->explicit_bounds = (double *)p->inst->bounds;
	if (p->count) {
		d->_min_case = OTLP__HISTOGRAM_DATA_POINT___MIN_MIN;
		d->min = p->min;
		d->_max_case = OTLP__HISTOGRAM_DATA_POINT___MAX_MAX;
		d->max = p->max;
	}
	return d;
}

static Otlp__NumberDataPoint *pb_number_point(struct arena *ar, const struct mpoint *p)
{
	Otlp__NumberDataPoint *d = arena__alloc(ar, sizeof(*d));

	if (!d)
		return NULL;
	otlp__number_data_point__init(d);
	if (otlp_pb__key_values(ar, &p->attrs, &d->attributes, &d->n_attributes))
		return NULL;
	if (p->inst->kind != MINST_GAUGE)
		d->start_time_unix_nano = p->start_ns;
	d->time_unix_nano = p->time_ns;
	d->value_case = OTLP__NUMBER_DATA_POINT__VALUE_AS_INT;
	d->as_int = p->value;
	return d;
}

/* One Metric for points v[0..n) of one instrument. */
static Otlp__Metric *pb_metric(struct arena *ar, const struct mpoint **v, size_t n, bool delta)
{
	const struct minst *in = v[0]->inst;
	Otlp__Metric *m = arena__alloc(ar, sizeof(*m));
	Otlp__AggregationTemporality t = delta ? OTLP__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_DELTA
					       : OTLP__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;

	if (!m)
		return NULL;
	otlp__metric__init(m);
	m->name = (char *)in->name;
	m->unit = (char *)in->unit;
	m->description = (char *)in->desc;
	if (in->kind == MINST_HISTOGRAM) {
		Otlp__Histogram *h = arena__alloc(ar, sizeof(*h));

		if (!h)
			return NULL;
		otlp__histogram__init(h);
		h->data_points = arena__alloc(ar, n * sizeof(*h->data_points));
		if (!h->data_points)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if (!(h->data_points[h->n_data_points++] = pb_hist_point(ar, v[i])))
				return NULL;
		h->aggregation_temporality = t;
		m->data_case = OTLP__METRIC__DATA_HISTOGRAM;
		m->histogram = h;
	} else {
		Otlp__NumberDataPoint **pts = arena__alloc(ar, n * sizeof(*pts));

		if (!pts)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if (!(pts[i] = pb_number_point(ar, v[i])))
				return NULL;
		if (in->kind == MINST_SUM) {
			Otlp__Sum *s = arena__alloc(ar, sizeof(*s));

			if (!s)
				return NULL;
			otlp__sum__init(s);
			s->data_points = pts;
			s->n_data_points = n;
			s->aggregation_temporality = t;
			s->is_monotonic = true;
			m->data_case = OTLP__METRIC__DATA_SUM;
			m->sum = s;
		} else {
			Otlp__Gauge *g = arena__alloc(ar, sizeof(*g));

			if (!g)
				return NULL;
			otlp__gauge__init(g);
			g->data_points = pts;
			g->n_data_points = n;
			m->data_case = OTLP__METRIC__DATA_GAUGE;
			m->gauge = g;
		}
	}
	return m;
}

/* One ResourceMetrics for points v[0..n) of one process; ra receives
 * the resource attributes, which the message borrows. */
static Otlp__ResourceMetrics *pb_resource(struct arena *ar, const struct mpoint **v, size_t n,
					  bool delta, const struct attr_list *extra,
					  struct attr_list *ra)
{
	Otlp__ResourceMetrics *rm = arena__alloc(ar, sizeof(*rm));
	Otlp__Resource *res = arena__alloc(ar, sizeof(*res));
	Otlp__ScopeMetrics *sm = arena__alloc(ar, sizeof(*sm));
	Otlp__InstrumentationScope *scope = arena__alloc(ar, sizeof(*scope));
	Otlp__ScopeMetrics **smv = arena__alloc(ar, sizeof(*smv));
	int err;

	if (!rm || !res || !sm || !scope || !smv)
		return NULL;
	otlp__resource_metrics__init(rm);
	otlp__resource__init(res);
	otlp__scope_metrics__init(sm);
	otlp__instrumentation_scope__init(scope);
	err = otlp_resource__attrs(ra, &v[0]->proc, extra);
	if (err || otlp_pb__key_values(ar, ra, &res->attributes, &res->n_attributes))
		return NULL;
	scope->name = (char *)OTLP_SCOPE_NAME;
	scope->version = (char *)AGENTRACE_VERSION;
	sm->scope = scope;
	sm->metrics = arena__alloc(ar, n * sizeof(*sm->metrics));
	if (!sm->metrics)
		return NULL;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && v[j]->inst == v[i]->inst; j++)
			;
		if (!(sm->metrics[sm->n_metrics++] = pb_metric(ar, v + i, j - i, delta)))
			return NULL;
	}
	smv[0] = sm;
	rm->resource = res;
	rm->scope_metrics = smv;
	rm->n_scope_metrics = 1;
	return rm;
}

int metrics_pb__encode(const struct mbatch *b, bool delta, const struct attr_list *resource,
		       uint8_t **out, size_t *len)
{
	Otlp__ExportMetricsServiceRequest req;
	const struct mpoint **v = metrics_encode__order(b);
	struct attr_list *lists = calloc(b->n ? b->n : 1, sizeof(*lists));
	struct arena ar = { 0 };
	size_t nl = 0;
	int err = -ENOMEM;

	*out = NULL;
	*len = 0;
	otlp__export_metrics_service_request__init(&req);
	if (!v || !lists)
		goto cleanup;
	if (b->n && !(req.resource_metrics = arena__alloc(&ar, b->n * sizeof(void *))))
		goto cleanup;
	for (size_t i = 0, j; i < b->n; i = j) {
		Otlp__ResourceMetrics *rm;

		for (j = i + 1; j < b->n && metrics_encode__same_resource(v[i], v[j]); j++)
			;
		rm = pb_resource(&ar, v + i, j - i, delta, resource, &lists[nl++]);
		if (!rm)
			goto cleanup;
		req.resource_metrics[req.n_resource_metrics++] = rm;
	}
	*len = otlp__export_metrics_service_request__get_packed_size(&req);
	*out = malloc(*len ? *len : 1);
	if (!*out)
		goto cleanup;
	otlp__export_metrics_service_request__pack(&req, *out);
	err = 0;
cleanup:
	if (err)
		*len = 0;
	arena__free(&ar);
	for (size_t i = 0; lists && i < nl; i++)
		attrs__clear(&lists[i]);
	free(lists);
	free(v);
	return err;
}
