/* SPDX-License-Identifier: MIT */
/* Command line: `agentrace [live]`, `agentrace record -o FILE`,
 * `agentrace analyze FILE`. */
#ifndef AR_CLI_ARGS_H
#define AR_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CLI_MAX_TARGETS 64

enum cli_mode { CLI_LIVE, CLI_RECORD, CLI_ANALYZE, CLI_CONTRACTS };

struct cli_opts {
	enum cli_mode mode;
	pid_t pids[CLI_MAX_TARGETS];
	size_t n_pids;
	const char *comms[CLI_MAX_TARGETS];
	size_t n_comms;
	uint64_t cgroups[CLI_MAX_TARGETS];
	size_t n_cgroups;
	const char *tenant_baggage_keys[CLI_MAX_TARGETS]; /* default tenant.id */
	size_t n_tenant_baggage_keys;
	const char *tenant_headers[CLI_MAX_TARGETS];      /* default x-tenant-id */
	size_t n_tenant_headers;
	const char *baggage_attrs[CLI_MAX_TARGETS];       /* copied to spans */
	size_t n_baggage_attrs;
	const char *ready_file;
	const char *output;       /* record: capture file; exporter file: OTLP JSON lines */
	const char *input;        /* analyze: capture file */
	const char *dump_dir;     /* analyze --dump-streams */
	const char *exporter;     /* console | otlp | file | none; NULL = from env */
	const char *health_addr;
	unsigned stats_interval;  /* seconds, 0 = only at exit */
	unsigned duration;        /* seconds, 0 = until signalled */
	unsigned shutdown_ms;     /* export flush deadline on exit */
	uint32_t ringbuf_bytes;
	size_t max_body_bytes;
	size_t max_header_bytes;
	size_t content_max_bytes;
	size_t max_attr_bytes;     /* 0: ATTR_VALUE_MAX_DEFAULT */
	size_t buffer_budget_mb;   /* with buffer_budget_set; else the default */
	bool buffer_budget_set;
	uint32_t turn_idle_ms;    /* agent turn idle timeout, 0 = default */
	bool no_graph;            /* no causal graph (turns, execute_tool, links) */
	bool scoped_uprobes;      /* uprobes inside targets only (issue #13) */
	bool promote;             /* promotion by SNI / LLM request (issue #13) */
	bool trace_all;           /* --trace-all: every process a full target */
	uint32_t bounded_bytes;   /* with promote: per-call copy of non-targets */
	const char *llm_hosts[CLI_MAX_TARGETS]; /* --llm-host patterns */
	size_t n_llm_hosts;
	bool inject_traceparent;  /* load bpf/inject.bpf.c (user/inject/) */
	/* tail sampling, tool contracts (cli/args_keep.c, user/keep.c) */
	double sample_rate;        /* -1: not given */
	const char *sample_config;
	const char *tool_contracts;
	int sample_settle_ms;      /* -1: not given */
	const char *sample_rules_off[8];
	size_t n_sample_rules_off;
	int64_t sample_token_budget; /* 0: not given */
	double sample_slow_k;      /* 0: not given */
	bool capture_content;
	bool summaries;           /* print one line per finished connection */
	int verbose;
	pid_t list_tls_pid;       /* --list-tls: print and exit */
	const char *tls_cache;    /* --tls-cache; NULL: the default, "none": off */
	uint32_t idle_detach_ms;  /* --idle-detach-ms (capture/tp_gate.h); 0: off */
};

/* Parses argv into o. Exits the process on --help/--version and prints
 * usage and exits 2 on a bad argument (argp's convention is 64). */
void cli__parse(int argc, char **argv, struct cli_opts *o);

#endif
