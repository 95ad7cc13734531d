// SPDX-License-Identifier: MIT
/* /metrics: Prometheus text exposition rendered from the stats lines. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/health.h"
#include "health/metrics.h"

/* Stats lines as live mode prints them. */
static const char stats[] =
	"kernel: events=120 bytes=34567 drop_ringbuf_full=2 drop_read_failed_bytes=7 untargeted=9\n"
	"pipeline: records=130 malformed=0 capture_write_errors=0\n"
	"conns: live=3 opened=7 closed=4 gaps=1 gap_bytes=512 held_bytes=2048\n"
	"export: exported=5 requests_ok=2 dropped_queue_full=1 dropped_failed=0 queued=4\n"
	"agentrace: info: not a stats line = 5\n"
	"trace: tenant_from_baggage=1 traceparent_bad-version=2\n"
	"discover: tls_files_attached=512 tls_unlocated=0 tls_files_evicted=3\n";

static char *render(const struct metrics_extra *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(metrics__render(f, stats, x), 0);
	fclose(f);
	return buf;
}

static void has(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	cr_assert(strstr(text, want), "no line '%s' in:\n%s", line, text);
}

Test(metrics, counters_gauges_and_drop_reasons)
{
	static const struct metrics_lib libs[] = { { "libssl.so.3", 2 }, { "node", 1 } };
	struct metrics_extra x = { .version = "1.2.3", .libs = libs, .n_libs = 2, .targets = 4 };
	char *t = render(&x);

	has(t, "# TYPE agentrace_kernel_events_total counter");
	has(t, "agentrace_kernel_events_total 120");
	has(t, "agentrace_kernel_bytes_total 34567");
	has(t, "# TYPE agentrace_kernel_drops_total counter");
	has(t, "agentrace_kernel_drops_total{reason=\"ringbuf_full\"} 2");
	has(t, "# TYPE agentrace_kernel_dropped_bytes_total counter");
	has(t, "agentrace_kernel_dropped_bytes_total{reason=\"read_failed\"} 7");
	has(t, "# TYPE agentrace_conns_live gauge");
	has(t, "agentrace_conns_live 3");
	has(t, "agentrace_conns_held_bytes 2048");
	has(t, "agentrace_conns_gap_bytes_total 512");
	has(t, "agentrace_export_drops_total{reason=\"queue_full\"} 1");
	has(t, "# TYPE agentrace_export_queued gauge");
	has(t, "agentrace_export_queued 4");
	has(t, "agentrace_trace_traceparent_bad_version_total 2");
	has(t, "agentrace_discover_tls_files_evicted_total 3");
	/* a level, not a count: no _total counter beside the per-library gauge */
	has(t, "# TYPE agentrace_discover_tls_files_attached gauge");
	has(t, "agentrace_discover_tls_files_attached 512");
	cr_assert_null(strstr(t, "tls_files_attached_total"));
	has(t, "agentrace_build_info{version=\"1.2.3\"} 1");
	has(t, "agentrace_tls_files_attached{library=\"libssl.so.3\"} 2");
	has(t, "agentrace_tls_files_attached{library=\"node\"} 1");
	has(t, "agentrace_targets_all 0");
	has(t, "agentrace_targeted_tasks 4");
	cr_assert_null(strstr(t, "agentrace_agentrace"), "a log line became a metric");
	/* one TYPE line per family, even with several samples */
	{
		const char *first = strstr(t, "# TYPE agentrace_kernel_drops_total");

		cr_assert_null(strstr(first + 1, "# TYPE agentrace_kernel_drops_total"));
	}
	free(t);
}

Test(metrics, all_targets_and_label_escaping)
{
	static const struct metrics_lib libs[] = { { "we\"ird\\lib", 1 } };
	struct metrics_extra x = { .version = "v", .libs = libs, .n_libs = 1, .targets = -1 };
	char *t = render(&x);

	has(t, "agentrace_targets_all 1");
	cr_assert_null(strstr(t, "agentrace_targeted_tasks"));
	has(t, "agentrace_tls_files_attached{library=\"we\\\"ird\\\\lib\"} 1");
	free(t);
}

Test(metrics, request_routing)
{
	bool head;

	cr_assert(health__is_metrics("GET /metrics HTTP/1.1\r\n\r\n", 26, &head));
	cr_assert_not(head);
	cr_assert(health__is_metrics("HEAD /metrics?x=1 HTTP/1.1\r\n\r\n", 31, &head));
	cr_assert(head);
	cr_assert_not(health__is_metrics("GET /metricsx HTTP/1.1\r\n\r\n", 27, &head));
	cr_assert_not(health__is_metrics("POST /metrics HTTP/1.1\r\n\r\n", 27, &head));
}
