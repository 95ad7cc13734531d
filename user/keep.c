// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "common/log.h"
#include "contracts/tool_drift.h"
#include "keep.h"
#include "metrics/metrics.h"
#include "sample/sampler.h"

#define DRIFT_WARMUP 5      /* responses per tool learned before drift counts */
#define DRIFT_MAX_TOOLS 4096

struct keep {
	struct exporter *exporter;
	struct tool_drift *drift;
	bool dump_contracts;      /* `agentrace contracts`: print what was seen */
	struct metrics *metrics;
	struct sampler *sampler;  /* NULL: sampling off, spans go straight on */
	uint64_t export_drops;    /* kept spans the exporter refused */
	int deadline_ms;          /* of the last metrics export */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int to_exporter(void *ctx, struct span *s)
{
	struct keep *k = ctx;
	int err = exporter__submit(k->exporter, s);

	if (err)
		k->export_drops++;
	return err;
}

/* Sampling is on when asked for: any sampling flag or a config file. */
static int sampler_from_opts(struct keep *k, const struct cli_opts *o)
{
	struct sample_cfg c;
	char err[256];
	int ret = 0;

	if (o->sample_rate < 0 && !o->sample_config && o->n_sample_rules_off == 0 &&
	    !o->sample_token_budget && !o->sample_slow_k)
		return 0;
	sample_cfg__init(&c);
	if (o->sample_config && (ret = sample_cfg__load(&c, o->sample_config, err, sizeof(err)))) {
		warn("bad --sample-config %s: %s", o->sample_config,
		     ret == -ENOMEM ? "out of memory" : err);
		goto out;
	}
	if (o->sample_rate >= 0)
		c.rate = o->sample_rate;
	if (o->sample_settle_ms >= 0)
		c.settle_ms = (uint32_t)o->sample_settle_ms;
	if (o->sample_token_budget)
		c.token_budget = o->sample_token_budget;
	if (o->sample_slow_k)
		c.slow_k = o->sample_slow_k;
	for (size_t i = 0; i < o->n_sample_rules_off; i++)
		c.rules_off |= 1u << sample_rule__parse(o->sample_rules_off[i]);
	k->sampler = sampler__new(&c, to_exporter, k);
	if (!k->sampler)
		ret = -ENOMEM;
	else
		info("tail sampling: rate %g, settle %u ms, up to %zu spans held", c.rate,
		     c.settle_ms, c.max_spans);
out:
	sample_cfg__release(&c);
	return ret;
}

/* A contracts file, or learning. `agentrace contracts` learns forever. */
static int drift_from_opts(struct keep *k, const struct cli_opts *o)
{
	struct contract_set cs;
	char err[256];
	int ret;

	k->dump_contracts = o->mode == CLI_CONTRACTS;
	if (o->tool_contracts && !k->dump_contracts) {
		ret = contract_set__load(&cs, o->tool_contracts, err, sizeof(err));
		if (ret) {
			warn("bad --tool-contracts %s: %s", o->tool_contracts,
			     ret == -ENOMEM ? "out of memory" : err);
			return ret;
		}
		k->drift = tool_drift__new(&cs, 0, DRIFT_MAX_TOOLS);
		contract_set__release(&cs);
		if (k->drift)
			info("tool contracts: %s", o->tool_contracts);
	} else {
		k->drift = tool_drift__new(NULL, k->dump_contracts ? UINT32_MAX : DRIFT_WARMUP,
				      DRIFT_MAX_TOOLS);
	}
	return k->drift ? 0 : -ENOMEM;
}

int keep__new(const struct cli_opts *o, const struct export_config *ec, struct exporter *e,
	      struct keep **out)
{
	struct keep *k = calloc(1, sizeof(*k));
	struct metrics_config mc;
	int err;

	if (!k)
		return -ENOMEM;
	k->exporter = e;
	err = drift_from_opts(k, o);
	if (err) {
		keep__free(k);
		return err;
	}
	err = metrics_config__from(&mc, ec, export_config__process_env, NULL);
	if (!err) {
		k->metrics = metrics__new(&mc);
		if (!k->metrics)
			err = -ENOMEM;
	}
	metrics_config__release(&mc);
	if (!err)
		err = sampler_from_opts(k, o);
	if (err) {
		keep__free(k);
		return err;
	}
	*out = k;
	return 0;
}

int keep__span(struct keep *k, struct span *s)
{
	tool_drift__check(k->drift, s);
	metrics__span(k->metrics, s);
	if (!k->sampler)
		return exporter__submit(k->exporter, s);
	sampler__submit(k->sampler, s, mono_ns());
	return 0;
}

void keep__tick(struct keep *k, uint64_t now)
{
	if (k->sampler)
		sampler__tick(k->sampler, now);
}

void keep__observe_stats(struct keep *k, const char *stats)
{
	metrics__observe_stats(k->metrics, stats);
}

static void print_sample_stats(const struct keep *k, FILE *f);

void keep__print_stats(const struct keep *k, FILE *f)
{
	struct metrics_stats ms;
	struct tool_drift_stats ds;

	metrics__stats(k->metrics, &ms);
	fprintf(f, "metrics: exports_ok=%" PRIu64 " exports_failed=%" PRIu64
		" points_exported=%" PRIu64 " points_dropped=%" PRIu64 " points_rejected=%" PRIu64
		" series=%" PRIu64 " series_overflowed=%" PRIu64 "\n",
		ms.exports_ok, ms.exports_failed, ms.points_exported, ms.points_dropped,
		ms.points_rejected, ms.series, ms.series_overflowed);
	tool_drift__stats(k->drift, &ds);
	fprintf(f, "contracts: checked=%" PRIu64 " matched=%" PRIu64 " drifted=%" PRIu64
		" undeclared=%" PRIu64 " tools=%" PRIu64 " tools_untracked=%" PRIu64 "\n",
		ds.checked, ds.matched, ds.drifted, ds.undeclared, ds.tools, ds.tools_untracked);
	print_sample_stats(k, f);
}

static void print_sample_stats(const struct keep *k, FILE *f)
{
	struct sampler_stats ss;

	if (!k->sampler)
		return;
	sampler__stats(k->sampler, &ss);
	fprintf(f, "sample: held_traces=%" PRIu64 " held_spans=%" PRIu64 " held_bytes=%" PRIu64
		" traces_kept=%" PRIu64 " traces_dropped=%" PRIu64 " spans_kept=%" PRIu64
		" spans_dropped=%" PRIu64 " overflow_decisions=%" PRIu64 " late_spans=%" PRIu64
		" export_drops=%" PRIu64 " tools_tracked=%" PRIu64 " tools_evicted=%" PRIu64,
		ss.held_traces, ss.held_spans, ss.held_bytes, ss.traces_kept, ss.traces_dropped,
		ss.spans_kept, ss.spans_dropped, ss.overflow_decisions, ss.late_spans,
		k->export_drops, ss.tools_tracked, ss.tools_evicted);
	for (int r = 0; r <= RULE__COUNT; r++)
		fprintf(f, " kept_by_%s=%" PRIu64, sample_rule__name(r), ss.kept_by[r]);
	fputc('\n', f);
}

void keep__finish(struct keep *k, int deadline_ms)
{
	if (!k)
		return;
	if (k->sampler) {
		/* decide what is held, into the exporter, and say what became of it all */
		sampler__flush(k->sampler);
		print_sample_stats(k, stderr);
	}
	sampler__free(k->sampler);
	k->sampler = NULL;
	k->deadline_ms = deadline_ms;
	metrics__stop(k->metrics, deadline_ms);
}

void keep__free(struct keep *k)
{
	if (!k)
		return;
	sampler__free(k->sampler);
	metrics__shutdown(k->metrics, k->deadline_ms, stderr);
	if (k->dump_contracts && k->drift && tool_drift__dump(k->drift, stdout))
		warn("failed to write the contracts: %s", strerror(EIO));
	tool_drift__free(k->drift);
	free(k);
}
