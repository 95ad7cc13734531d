// SPDX-License-Identifier: MIT
/*
 * Drives the export stage alone for tests/e2e/test_otlp_export.sh: builds
 * N gen_ai-looking spans (two processes, a parent and children, events,
 * every attribute type), exports them with the configuration the OTEL_*
 * environment gives, shuts down within a deadline and prints the stats.
 *
 *   export_driver N DEADLINE_MS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "export/exporter.h"

static struct span *make(int i)
{
	struct span *s = span__new(i % 4 == 0 ? "invoke_agent planner" : "chat gpt-4o",
				   i % 4 == 0 ? SPAN_KIND_INTERNAL : SPAN_KIND_CLIENT);
	const char *reasons[] = { "stop" };
	struct timespec ts;
	struct span_event *ev;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (int k = 0; k < 16; k++)
		s->trace_id[k] = (uint8_t)(0x10 + k + i / 4);
	s->span_id[0] = 0xab;
	s->span_id[6] = (uint8_t)(i >> 8);
	s->span_id[7] = (uint8_t)i;
	if (i % 4) {
		s->parent_span_id[0] = 0xab;
		s->parent_span_id[6] = (uint8_t)((i / 4 * 4) >> 8);
		s->parent_span_id[7] = (uint8_t)(i / 4 * 4);
	}
	s->trace_flags = 1;
	s->start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	s->end_ns = s->start_ns + 250000000ull + (uint64_t)i;
	s->proc.pid = i % 2 ? 1111 : 2222;
	snprintf(s->proc.service_name, sizeof(s->proc.service_name), "%s",
		 i % 2 ? "agent-one" : "agent-two");
	snprintf(s->proc.exe_name, sizeof(s->proc.exe_name), "python3");
	snprintf(s->proc.exe_path, sizeof(s->proc.exe_path), "/usr/bin/python3.11");
	snprintf(s->proc.container_id, sizeof(s->proc.container_id), "%s",
		 i % 2 ? "" : "0123456789abcdef");
	span__set_str(s, "gen_ai.operation.name", "chat");
	span__set_str(s, "gen_ai.request.model", "gpt-4o");
	span__set_int(s, "gen_ai.usage.input_tokens", 1000 + i);
	span__set_int(s, "gen_ai.usage.output_tokens", 9007199254740993LL);
	span__set_double(s, "gen_ai.request.temperature", 0.7);
	span__set_bool(s, "gen_ai.request.stream", true);
	span__set_int(s, "driver.index", i);
	attrs__set_str_array(&s->attrs, "gen_ai.response.finish_reasons", reasons, 1);
	ev = span__add_event(s, "gen_ai.tool.call", s->start_ns + 1000);
	attrs__set_str(&ev->attrs, "gen_ai.tool.name", "search");
	if (i % 7 == 3) {
		s->status = SPAN_STATUS_ERROR;
		s->status_message = strdup("overloaded");
		span__set_str(s, "error.type", "529");
	}
	return s;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, deadline = argc > 2 ? atoi(argv[2]) : 5000;
	struct export_config cfg;
	struct export_stats st;
	struct exporter *e;
	int err, rejected = 0;

	export_config__init(&cfg);
	err = export_config__from_env(&cfg, export_config__process_env, NULL);
	if (err)
		return 2;
	if (getenv("DRIVER_FILE")) {
		cfg.kind = EXPORT_FILE;
		cfg.output_path = strdup(getenv("DRIVER_FILE"));
	}
	e = exporter__new(&cfg);
	export_config__release(&cfg);
	if (!e)
		return 2;
	for (int i = 0; i < n; i++)
		if (exporter__submit(e, make(i)) == -ENOSPC)
			rejected++;
	exporter__stats(e, &st);
	err = exporter__shutdown(e, deadline);
	printf("submitted=%d queue_full=%d shutdown=%d\n", n, rejected, err);
	return err ? 1 : 0;
}
