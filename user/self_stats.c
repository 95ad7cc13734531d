// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* open_memstream */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture/probes.h"
#include "capture/ring.h"
#include "common/log.h"
#include "discover/discover.h"
#include "health/health.h"
#include "health/metrics.h"
#include "inject/inject.h"
#include "pipeline.h"
#include "self_stats.h"

#define MAX_LIBS 32
#define TARGETS_CAP 1000000 /* map walk bound */

static void print_kernel_stats(struct probes *p, FILE *f)
{
	uint64_t s[AR_STAT_MAX];

	if (probes__stats(p, s))
		return;
	fprintf(f, "kernel:");
	for (int i = 0; i < AR_STAT_MAX; i++)
		fprintf(f, " %s=%" PRIu64, ar_stat_names[i], s[i]);
	fputc('\n', f);
}

struct libs {
	struct metrics_lib v[MAX_LIBS];
	char names[MAX_LIBS][64];
	size_t n;
};

/* Counts an attached file under its base name. */
static void count_lib(void *ctx, const char *path)
{
	struct libs *l = ctx;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], base))
			break;
	if (i == l->n) {
		if (l->n == MAX_LIBS)
			return;
		snprintf(l->names[i], sizeof(l->names[i]), "%s", base);
		l->v[i].name = l->names[i];
		l->n++;
	}
	l->v[i].files++;
}

static void publish(struct probes *p, const struct discover *d, struct health *h,
		    const char *stats)
{
	struct libs libs = { 0 };
	struct metrics_extra x = { .version = AGENTRACE_VERSION, .targets = -1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (d)
		discover__each_tls_file(d, count_lib, &libs);
	x.libs = libs.v;
	x.n_libs = libs.n;
	if (p)
		x.targets = probes__count_targets(p, TARGETS_CAP);
	m = open_memstream(&buf, &len);
	if (!m)
		return;
	if (metrics__render(m, stats, &x) == 0 && fflush(m) == 0 &&
	    health__set_metrics(h, buf, len) == 0) {
		fclose(m);
		free(buf);
		return;
	}
	fclose(m);
	free(buf);
	debug("metrics: out of memory, /metrics keeps its last text");
}

void self_stats__emit(struct probes *p, const struct ring_reader *ring, struct pipeline *pipe,
		      const struct discover *d, struct health *h, FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m) {
		debug("stats: out of memory");
		return;
	}
	if (p) {
		print_kernel_stats(p, m);
		probes__print_stats(p, m);
		inject__print_stats(probes__inject(p), m);
	}
	if (ring)
		ring_reader__print_stats(ring, m);
	if (pipe)
		pipeline__print_stats(pipe, m);
	if (d)
		discover__print_stats(d, m);
	if (fclose(m)) {
		free(buf);
		return;
	}
	if (f)
		fputs(buf, f);
	if (pipe)
		pipeline__observe_stats(pipe, buf);
	if (h)
		publish(p, d, h, buf);
	free(buf);
}
