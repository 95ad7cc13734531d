// SPDX-License-Identifier: MIT
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "tools/url.h"
#include "cli/config_file.h"
#include "cli/args_keep.h"

const char *argp_program_version = "agentrace " AGENTRACE_VERSION;
const char *argp_program_bug_address = "<https://github.com/agentrace/agentrace/issues>";

static const char doc[] =
	"agentrace -- zero-code tracing of AI agents' LLM and tool calls.\n"
	"\n"
	"Modes:\n"
	"  agentrace [OPTIONS]                 trace this host live (default)\n"
	"  agentrace record -o FILE [OPTIONS]  write captured events to a capture file\n"
	"  agentrace analyze FILE [OPTIONS]    replay a capture file through the pipeline\n"
	"  agentrace contracts --from FILE     print a tool contracts file of what a capture saw\n"
	"\v"
	"EXAMPLES:\n"
	"  agentrace                            trace agents fully, everything else cheaply\n"
	"  agentrace --trace-all                trace every process whole (debugging)\n"
	"  agentrace --comm python3 --comm node trace only these programs\n"
	"  agentrace --pid 4242 --ready-file /run/agentrace.ready\n"
	"  agentrace record -o calls.agtrace --duration 60\n"
	"  agentrace analyze calls.agtrace --dump-streams /tmp/streams\n"
	"  agentrace --config /etc/agentrace/config.yaml\n"
	"  agentrace --list-tls 4242            which TLS library pid 4242 uses, probed or not\n"
	"  OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 agentrace\n";

enum {
	OPT_READY = 1000, OPT_CGROUP, OPT_STATS, OPT_RINGBUF, OPT_DUMP, OPT_EXPORTER,
	OPT_CONTENT, OPT_MAX_BODY, OPT_MAX_HEADER, OPT_CONTENT_MAX, OPT_DURATION,
	OPT_HEALTH, OPT_SUMMARIES, OPT_SHUTDOWN, OPT_TENANT_KEY, OPT_TENANT_HDR, OPT_BAGGAGE_ATTR,
	OPT_REDACT_KEY, OPT_MAX_ATTR, OPT_BUDGET,
	OPT_TURN_IDLE, OPT_NO_GRAPH, OPT_SCOPED, OPT_PROMOTE, OPT_LLM_HOST, OPT_INJECT,
	OPT_CONFIG, OPT_TRACE_ALL, OPT_BOUNDED,
	OPT_LIST_TLS = 1100, OPT_TLS_CACHE, OPT_IDLE_DETACH,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Trace this process and its descendants (repeatable)", 1 },
	{ "comm", 'c', "NAME", 0, "Trace processes with this command name (repeatable)", 1 },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "Trace processes in this cgroup v2 directory (repeatable)", 1 },
	{ "scoped-uprobes", OPT_SCOPED, NULL, 0, "With --pid/--comm/--cgroup, set OpenSSL uprobes inside targets only: other processes carry no breakpoint; a --comm/--cgroup target that connects before its uprobes are in is stopped until they are (at most 1 s)", 1 },
	{ "promote", OPT_PROMOTE, NULL, 0, "Agent-first, the default without --pid/--comm/--cgroup: also trace, until it exits and across exec, any process whose TLS ClientHello names an LLM host (SNI), whose plaintext request is an LLM or MCP call, or that serves a target; other processes get bounded capture (--bounded-bytes) and make no spans unless they call a target (uprobes inside targets only, as --scoped-uprobes). Given with selectors, promotes beside them", 1 },
	{ "trace-all", OPT_TRACE_ALL, NULL, 0, "Trace every process fully: whole bodies and uprobes everywhere, spans for every HTTP call on the host (for debugging; no --pid/--comm/--cgroup/--promote)", 1 },
	{ "bounded-bytes", OPT_BOUNDED, "N", 0, "Agent-first mode: copy at most N bytes of each plaintext read or write of a process that is not a target, enough for a request or status line, headers and the start of a body (default 4096; 0: only the head of each connection's first write, no bounded capture)", 1 },
	{ "llm-host", OPT_LLM_HOST, "PATTERN", 0, "Agent-first mode: another LLM or tool host name, a glob such as '*.example.com' (repeatable; adds to the built-in provider hosts)", 1 },
	{ "inject-traceparent", OPT_INJECT, NULL, 0, "Insert traceparent (and tenant baggage) into targets' outbound plaintext HTTP/1.1 requests that carry none; needs CAP_NET_ADMIN (docs/security.md)", 1 },
	{ "ready-file", OPT_READY, "PATH", 0, "Write PATH once every probe is attached", 2 },
	{ "stats-interval", OPT_STATS, "SEC", 0, "Print statistics every SEC seconds (0: only at exit; default 60)", 2 },
	{ "duration", OPT_DURATION, "SEC", 0, "Stop after SEC seconds", 2 },
	{ "shutdown-timeout", OPT_SHUTDOWN, "MS", 0, "On SIGINT/SIGTERM, flush spans for at most MS ms (default 5000)", 2 },
	{ "ringbuf-mb", OPT_RINGBUF, "MB", 0, "Ring buffer size, a power of two from 1 to 1024 (default 8)", 2 },
	{ "output", 'o', "PATH", 0, "record: capture file; --exporter file: OTLP JSON lines file", 2 },
	{ "dump-streams", OPT_DUMP, "DIR", 0, "analyze: write every reassembled stream direction to DIR", 2 },
	{ "summaries", OPT_SUMMARIES, NULL, 0, "Print a line per finished connection", 2 },
	{ "exporter", OPT_EXPORTER, "NAME", 0, "console, otlp, file or none (default: from OTEL_* env)", 3 },
	{ "capture-content", OPT_CONTENT, NULL, 0, "Capture prompt and response content (off by default)", 3 },
	{ "content-max-bytes", OPT_CONTENT_MAX, "N", 0, "Truncate captured content to N bytes (default 8192)", 3 },
	{ "max-body-bytes", OPT_MAX_BODY, "N", 0, "Cap on an HTTP body kept for parsing (default 4 MiB)", 3 },
	{ "max-header-bytes", OPT_MAX_HEADER, "N", 0, "Cap on an HTTP header block (default 64 KiB)", 3 },
	{ "tenant-baggage-key", OPT_TENANT_KEY, "KEY", 0, "Baggage key naming the tenant (repeatable; default tenant.id)", 3 },
	{ "tenant-header", OPT_TENANT_HDR, "NAME", 0, "Request header naming the tenant (repeatable; default x-tenant-id)", 3 },
	{ "baggage-attr", OPT_BAGGAGE_ATTR, "KEY", 0, "Copy this baggage key to spans as baggage.KEY (repeatable)", 3 },
	{ "buffer-budget-mb", OPT_BUDGET, "MB", 0, "Daemon-wide cap on buffered HTTP bytes; growth past it is refused and counted (default 128, 0: none)", 3 },
	{ "max-attr-bytes", OPT_MAX_ATTR, "N", 0, "Cut span attribute values at N bytes, counted in agentrace.attributes_truncated (default 8192; never below --content-max-bytes)", 3 },
	{ "turn-idle-ms", OPT_TURN_IDLE, "MS", 0, "End an agent turn quiet for MS ms (default 30000)", 3 },
	{ "no-agent-graph", OPT_NO_GRAPH, NULL, 0, "No agent turns, execute_tool spans, links or drift", 3 },
	{ "redact-query-key", OPT_REDACT_KEY, "KEY", 0, "Also redact this URL query key's values (repeatable; see docs/security.md)", 3 },
	{ "health-addr", OPT_HEALTH, "ADDR:PORT", 0, "Serve /healthz here (default off; e.g. 127.0.0.1:8686)", 3 },
	{ "verbose", 'v', NULL, 0, "More logging (repeat for debug)", 4 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read options from this YAML file (keys: the long "
	  "options, and otel: for OTEL_* variables); flags and environment win", 4 },
	{ "list-tls", OPT_LIST_TLS, "PID", 0, "Print the TLS libraries process PID carries and where probes go, then exit", 4 },
	{ "idle-detach-ms", OPT_IDLE_DETACH, "MS", OPTION_HIDDEN, "With --pid/--comm/--cgroup only: detach the syscall tracepoints MS ms after the last target exits (default 10000; 0: keep them attached)", 4 },
	{ "tls-cache", OPT_TLS_CACHE, "FILE", 0, "Remember where the TLS functions of stripped binaries are across restarts, in FILE (default /var/cache/agentrace/tls-plans; none: off)", 4 },
	{},
};

static unsigned long parse_num(struct argp_state *st, const char *arg, const char *what,
			       unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || !*arg || v < min || v > max)
		argp_error(st, "%s must be a number from %lu to %lu, got '%s'", what, min, max, arg);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct cli_opts *o = st->input;
	struct stat sb;
	unsigned long mb;

	switch (key) {
	case 'p':
		if (o->n_pids == CLI_MAX_TARGETS)
			argp_error(st, "too many --pid");
		o->pids[o->n_pids++] = parse_num(st, arg, "--pid", 1, 4194304);
		break;
	case 'c':
		if (o->n_comms == CLI_MAX_TARGETS)
			argp_error(st, "too many --comm");
		if (strlen(arg) >= 16)
			argp_error(st, "--comm '%s' is longer than 15 characters", arg);
		o->comms[o->n_comms++] = arg;
		break;
	case OPT_CGROUP:
		if (o->n_cgroups == CLI_MAX_TARGETS)
			argp_error(st, "too many --cgroup");
		/* On cgroup v2 a cgroup's id is its directory's inode. */
		if (stat(arg, &sb))
			argp_error(st, "--cgroup %s: %s", arg, strerror(errno));
		o->cgroups[o->n_cgroups++] = sb.st_ino;
		break;
	case OPT_READY: o->ready_file = arg; break;
	case OPT_STATS: o->stats_interval = parse_num(st, arg, "--stats-interval", 0, 86400); break;
	case OPT_SHUTDOWN:
		o->shutdown_ms = parse_num(st, arg, "--shutdown-timeout", 0, 600000);
		break;
	case OPT_DURATION: o->duration = parse_num(st, arg, "--duration", 1, 31536000); break;
	case OPT_RINGBUF:
		mb = parse_num(st, arg, "--ringbuf-mb", 1, 1024);
		if (mb & (mb - 1))
			argp_error(st, "--ringbuf-mb must be a power of two");
		o->ringbuf_bytes = mb << 20;
		break;
	case 'o': o->output = arg; break;
	case OPT_DUMP: o->dump_dir = arg; break;
	case OPT_SUMMARIES: o->summaries = true; break;
	case OPT_EXPORTER:
		if (strcmp(arg, "console") && strcmp(arg, "otlp") && strcmp(arg, "file") &&
		    strcmp(arg, "none"))
			argp_error(st, "--exporter must be console, otlp, file or none");
		o->exporter = arg;
		break;
	case OPT_CONTENT: o->capture_content = true; break;
	case OPT_CONTENT_MAX:
		o->content_max_bytes = parse_num(st, arg, "--content-max-bytes", 16, 1 << 24);
		break;
	case OPT_NO_GRAPH: o->no_graph = true; break;
	case OPT_SCOPED: o->scoped_uprobes = true; break;
	case OPT_PROMOTE: o->promote = true; break;
	case OPT_TRACE_ALL: o->trace_all = true; break;
	case OPT_BOUNDED:
		o->bounded_bytes = parse_num(st, arg, "--bounded-bytes", 0, 65536);
		break;
	case OPT_LLM_HOST:
		if (o->n_llm_hosts == CLI_MAX_TARGETS)
			argp_error(st, "too many --llm-host");
		o->llm_hosts[o->n_llm_hosts++] = arg;
		break;
	case OPT_INJECT: o->inject_traceparent = true; break;
	case OPT_TURN_IDLE:
		o->turn_idle_ms = parse_num(st, arg, "--turn-idle-ms", 10, 86400000);
		break;
	case OPT_MAX_BODY:
		o->max_body_bytes = parse_num(st, arg, "--max-body-bytes", 1024, 1ul << 30);
		break;
	case OPT_MAX_HEADER:
		o->max_header_bytes = parse_num(st, arg, "--max-header-bytes", 1024, 1 << 24);
		break;
	case OPT_HEALTH: o->health_addr = arg; break;
	case OPT_TENANT_KEY:
		if (o->n_tenant_baggage_keys == CLI_MAX_TARGETS)
			argp_error(st, "too many --tenant-baggage-key");
		o->tenant_baggage_keys[o->n_tenant_baggage_keys++] = arg;
		break;
	case OPT_TENANT_HDR:
		if (o->n_tenant_headers == CLI_MAX_TARGETS)
			argp_error(st, "too many --tenant-header");
		o->tenant_headers[o->n_tenant_headers++] = arg;
		break;
	case OPT_BAGGAGE_ATTR:
		if (o->n_baggage_attrs == CLI_MAX_TARGETS)
			argp_error(st, "too many --baggage-attr");
		o->baggage_attrs[o->n_baggage_attrs++] = arg;
		break;
	case OPT_BUDGET:
		o->buffer_budget_mb = parse_num(st, arg, "--buffer-budget-mb", 0, 1 << 16);
		o->buffer_budget_set = true;
		break;
	case OPT_MAX_ATTR:
		o->max_attr_bytes = parse_num(st, arg, "--max-attr-bytes", 64, 1 << 24);
		break;
	case OPT_REDACT_KEY:
		if (url__add_secret_key(arg))
			argp_error(st, "--redact-query-key %s: empty, over 63 bytes or too many", arg);
		break;
	case 'v': o->verbose++; break;
	case OPT_CONFIG: break; /* applied before argv, in cli__parse */
	case OPT_LIST_TLS:
		o->list_tls_pid = parse_num(st, arg, "--list-tls", 1, 0x7fffffff);
		break;
	case OPT_TLS_CACHE: o->tls_cache = arg; break;
	case OPT_IDLE_DETACH:
		o->idle_detach_ms = parse_num(st, arg, "--idle-detach-ms", 0, 3600000);
		break;
	case ARGP_KEY_INIT:
		st->child_inputs[0] = o;
		break;
	case ARGP_KEY_ARG:
		if (o->mode == CLI_ANALYZE && !o->input)
			o->input = arg;
		else
			argp_error(st, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (o->mode == CLI_RECORD && !o->output)
			argp_error(st, "record needs -o FILE");
		if (o->mode == CLI_ANALYZE && !o->input)
			argp_error(st, "analyze needs a capture FILE");
		if (o->exporter && !strcmp(o->exporter, "file") && !o->output)
			argp_error(st, "--exporter file needs --output PATH");
		if (o->trace_all && (o->promote || o->n_pids || o->n_comms || o->n_cgroups))
			argp_error(st, "--trace-all traces every process: it takes no --pid, "
				   "--comm, --cgroup or --promote");
		/* Agent-first is the default (issue #13); selectors alone keep
		 * their meaning: those processes and no others. */
		if (!o->trace_all && !o->n_pids && !o->n_comms && !o->n_cgroups)
			o->promote = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void cli__parse(int argc, char **argv, struct cli_opts *o)
{
	const char *config;
	static const struct argp_child children[] = { { &cli_keep_argp, 0, NULL, 5 }, {} };
	static const struct argp argp = { options, parse_opt, NULL, doc, children };

	memset(o, 0, sizeof(*o));
	o->stats_interval = 60;
	o->shutdown_ms = 5000;
	o->sample_rate = -1;
	o->sample_settle_ms = -1;
	o->bounded_bytes = 4096;
	o->idle_detach_ms = 10000;
	if (argc > 1 && strcmp(argv[1], "record") == 0) {
		o->mode = CLI_RECORD;
		argv[1] = argv[0];
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "analyze") == 0) {
		o->mode = CLI_ANALYZE;
		argv[1] = argv[0];
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "contracts") == 0) {
		o->mode = CLI_CONTRACTS;
		o->exporter = "none";
		argv[1] = argv[0];
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "live") == 0) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	config = config_file__find(argc, argv);
	if (config && config_file__apply(config, &argp, argc, argv, o, stderr))
		exit(64); /* argp's usage-error status */
	argp_parse(&argp, argc, argv, 0, NULL, o);
}
