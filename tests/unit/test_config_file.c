// SPDX-License-Identifier: MIT
/* --config FILE: precedence (flags > env > file > defaults) and every
 * validation error naming the file, the line and the key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "run_child.h"
#include "cli/config_file.h"

static char path[64];

static void write_config(const char *text)
{
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/agentrace-cfg-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

/* Parses argv (NULL-terminated) in-process. */
static void parse(struct cli_opts *o, const char **args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"agentrace";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cli__parse(argc, argv, o);
}

static void parse_config(void *unused)
{
	const char *args[] = { "--config", path, NULL };
	struct cli_opts o;

	(void)unused;
	parse(&o, args);
}

/* Runs cli__parse on the config in a child; returns its exit status and
 * its stderr in err. */
static int parse_child(const char *text, char *err, size_t cap)
{
	int status;

	write_config(text);
	status = run_child(parse_config, NULL, err, cap);
	unlink(path);
	return status;
}

static void expect_error(const char *text, int line, const char *key, const char *why)
{
	char err[4096], want[256];

	cr_assert_eq(parse_child(text, err, sizeof(err)), 64, "accepted:\n%s", text);
	snprintf(want, sizeof(want), ":%d: %s: ", line, key);
	cr_assert(strstr(err, want), "no '%s' in: %s", want, err);
	cr_assert(strstr(err, "/tmp/agentrace-cfg-"), "no file name in: %s", err);
	cr_assert(strstr(err, why), "no '%s' in: %s", why, err);
}

TestSuite(config_file, .fini = config_file__release);

Test(config_file, file_sets_options_generically)
{
	const char *args[] = { "--config", NULL, NULL };
	struct cli_opts o;

	write_config("# every key is a long option\n"
		     "comm: [python3, node]\n"
		     "pid: 1\n"
		     "stats-interval: 5\n"
		     "capture-content: true\n"
		     "summaries: false\n"
		     "verbose: 2\n"
		     "health-addr: 127.0.0.1:0\n"
		     "baggage-attr:\n  - user.id\n"
		     "cgroup:\n  - /\n  - /tmp\n"
		     "llm-host: [a.example, '*.b.example']\n");
	args[1] = path;
	parse(&o, args);
	unlink(path);
	cr_assert_eq(o.n_comms, 2);
	cr_assert_str_eq(o.comms[0], "python3");
	cr_assert_str_eq(o.comms[1], "node");
	cr_assert_eq(o.n_pids, 1);
	cr_assert_eq(o.pids[0], 1);
	cr_assert_eq(o.stats_interval, 5);
	cr_assert(o.capture_content);
	cr_assert_not(o.summaries);
	cr_assert_eq(o.verbose, 2);
	cr_assert_str_eq(o.health_addr, "127.0.0.1:0");
	cr_assert_eq(o.n_baggage_attrs, 1);
	cr_assert(o.n_cgroups == 2 && o.cgroups[0] != o.cgroups[1], "every list item kept");
	cr_assert_eq(o.n_llm_hosts, 2);
	cr_assert_str_eq(o.llm_hosts[1], "*.b.example");
	cr_assert_eq(o.shutdown_ms, 5000, "a key the file lacks keeps its default");
}

Test(config_file, flags_beat_file_env_beats_file)
{
	const char *args[] = { "--comm=curl", "-v", "--stats-interval", "7", "--config", NULL,
			       NULL };
	struct cli_opts o;

	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://from-env:4318", 1);
	unsetenv("OTEL_EXPORTER_OTLP_COMPRESSION");
	setenv("OTEL_TRACES_EXPORTER", "none", 1);
	write_config("comm: [python3, node]\n"
		     "stats-interval: 5\n"
		     "verbose: 3\n"
		     "exporter: console\n"
		     "duration: 9\n"
		     "otel:\n"
		     "  OTEL_EXPORTER_OTLP_ENDPOINT: http://from-file:4318\n"
		     "  exporter_otlp_compression: gzip\n");
	args[5] = path;
	parse(&o, args);
	unlink(path);
	cr_assert_eq(o.n_comms, 1, "flags replace the file's list");
	cr_assert_str_eq(o.comms[0], "curl");
	cr_assert_eq(o.stats_interval, 7);
	cr_assert_eq(o.verbose, 1);
	cr_assert_eq(o.duration, 9, "the file fills what flags leave");
	cr_assert_null(o.exporter, "OTEL_TRACES_EXPORTER outranks the file's exporter");
	cr_assert_str_eq(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "http://from-env:4318");
	cr_assert_str_eq(getenv("OTEL_EXPORTER_OTLP_COMPRESSION"), "gzip",
			 "the file fills an unset variable");
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_COMPRESSION");
	unsetenv("OTEL_TRACES_EXPORTER");
}

Test(config_file, validation_errors_name_file_line_key)
{
	expect_error("comm: python3\nbogus: 1\n", 2, "bogus", "unknown key");
	expect_error("\n\nstats-interval: abc\n", 3, "stats-interval",
		     "must be a number from 0 to 86400");
	expect_error("ringbuf-mb: 3\n", 1, "ringbuf-mb", "power of two");
	expect_error("comm: {a: 1}\n", 1, "comm", "a value or a list");
	expect_error("stats-interval: [1, 2]\n", 1, "stats-interval", "a single value");
	expect_error("comm:\n  - python3\n  - [x]\n", 3, "comm", "single values");
	expect_error("comm: this-name-is-far-too-long\n", 1, "comm", "longer than 15");
	expect_error("capture-content: maybe\n", 1, "capture-content", "true or false");
	expect_error("capture-content: \"true\"\n", 1, "capture-content", "true or false");
	expect_error("exporter: kafka\n", 1, "exporter", "console, otlp, file or none");
	expect_error("health-addr:\n", 1, "health-addr", "needs a value");
	expect_error("config: other.yaml\n", 1, "config", "not allowed");
	expect_error("comm: a\ncomm: b\n", 2, "comm", "given twice");
	expect_error("otel: 3\n", 1, "otel", "map of OTEL_");
	expect_error("otel:\n  OTEL_NOPE: 1\n", 2, "OTEL_NOPE", "unknown OTEL_");
	expect_error("otel:\n  OTEL_EXPORTER_OTLP_ENDPOINT: notaurl\n", 2,
		     "OTEL_EXPORTER_OTLP_ENDPOINT", "http:// or https://");
	expect_error("otel:\n  OTEL_EXPORTER_OTLP_PROTOCOL: thrift\n", 2,
		     "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
	expect_error("otel:\n  OTEL_EXPORTER_OTLP_COMPRESSION: br\n", 2,
		     "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip or none");
	expect_error("otel:\n  OTEL_BSP_MAX_QUEUE_SIZE: lots\n", 2, "OTEL_BSP_MAX_QUEUE_SIZE",
		     "integer");
	expect_error("otel:\n  OTEL_TRACES_EXPORTER: zipkin\n", 2, "OTEL_TRACES_EXPORTER",
		     "otlp, console or none");
	expect_error("otel:\n  OTEL_EXPORTER_OTLP_HEADERS: [a]\n", 2,
		     "OTEL_EXPORTER_OTLP_HEADERS", "single value");
}

Test(config_file, header_values_never_echoed)
{
	char err[4096];

	cr_assert_eq(parse_child("otel:\n  OTEL_EXPORTER_OTLP_HEADERS: sk-SECRET-123\n", err,
				 sizeof(err)), 64);
	cr_assert_null(strstr(err, "sk-SECRET-123"), "%s", err);
}

Test(config_file, yaml_syntax_and_shape_errors)
{
	char err[4096];

	cr_assert_eq(parse_child("comm: [python3\n", err, sizeof(err)), 64);
	cr_assert(strstr(err, "/tmp/agentrace-cfg-") && strstr(err, ":2: "), "%s", err);
	cr_assert_eq(parse_child("- a\n- b\n", err, sizeof(err)), 64);
	cr_assert(strstr(err, ":1: expected a map"), "%s", err);
	cr_assert_eq(parse_child("", err, sizeof(err)), 0, "an empty file is no error: %s", err);
}
