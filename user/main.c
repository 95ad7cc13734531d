// SPDX-License-Identifier: MIT
/* agentrace entry point: live tracing, `record` and `analyze`. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "capture/file.h"
#include "capture/probes.h"
#include "capture/ring.h"
#include "capture/target_set.h"
#include "cli/args.h"
#include "cli/config_file.h"
#include "cli/targeting.h"
#include "common/caps.h"
#include "common/small_alloc.h"
#include "common/log.h"
#include "discover/discover.h"
#include "discover/pid_watch.h"
#include "discover/plan_cache.h"
#include "discover/targets.h"
#include "discover/tls_list.h"
#include "health/health.h"
#include "pipeline.h"
#include "self_stats.h"

/* Longest a record waits in the ring: data is submitted without wakeups. */
#define POLL_MS 50
/* --inject-traceparent: a served request's context must reach the kernel
 * (inject_ctx) before the calls it causes, which may follow within ms;
 * also while a binary is located: its probes are awaited by a new agent */
#define INJECT_POLL_MS 5

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct live {
	struct probes *probes;
	struct pipeline *pipe;
	struct discover *disc;
	struct pid_watch *pids; /* --pid processes, NULL without --pid */
	struct target_set *targets; /* bounded capture: who makes spans */
};

static uint64_t ms_since(uint64_t t)
{
	return (clock_ns(CLOCK_MONOTONIC) - t) / 1000000ull;
}

/* What is left of the shutdown timeout since stop_at, keeping a tenth of
 * it for detaching the probes after the flush. */
static int exit_ms_left(uint64_t stop_at, unsigned shutdown_ms)
{
	uint64_t spent = ms_since(stop_at), usable = (uint64_t)shutdown_ms * 9 / 10;

	return spent < usable ? (int)(usable - spent) : 0;
}

static void on_discovered(void *ctx, const void *rec, size_t len)
{
	struct live *l = ctx;

	pipeline__handle(l->pipe, rec, len);
	target_set__record(l->targets, rec, len);
}

static void on_record(void *ctx, const void *rec, size_t len)
{
	struct live *l = ctx;

	/* A target's exec attaches lazy syscall tracepoints before anything
	 * else: its first call may be a few ms away. */
	probes__handle(l->probes, rec, len);
	/* The record goes on first: exec/conn records are then followed by
	 * the identity records discovery emits for them. */
	pipeline__handle(l->pipe, rec, len);
	discover__handle(l->disc, rec, len);
	pid_watch__handle(l->pids, rec, len);
	target_set__record(l->targets, rec, len);
}

/* Bounded capture copies untargeted processes' messages to classify them;
 * only targets' exchanges become spans, and those of others' connections
 * to a target (their CLIENT spans). */
static bool is_target(void *ctx, uint32_t tgid, uint64_t conn_id)
{
	return target_set__has(ctx, tgid) || target_set__calls_target(ctx, conn_id);
}

static int write_ready_file(const char *path)
{
	char tmp[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	dprintf(fd, "%d\n", getpid());
	close(fd);
	return rename(tmp, path) ? -errno : 0;
}

static void fill_capture_info(struct capture_info *ci, uint64_t mono_to_real,
			      uint32_t bounded_bytes)
{
	memset(ci, 0, sizeof(*ci));
	ci->mono_to_real_ns = mono_to_real;
	ci->start_unix_ns = clock_ns(CLOCK_REALTIME);
	ci->chunk_max = AR_CHUNK_MAX;
	ci->bounded_bytes = bounded_bytes;
	gethostname(ci->hostname, sizeof(ci->hostname) - 1);
	snprintf(ci->agentrace_version, sizeof(ci->agentrace_version), "%s", AGENTRACE_VERSION);
}

static int run_live(const struct cli_opts *o)
{
	struct probes_cfg pc = {
		.pids = o->pids, .n_pids = o->n_pids,
		.comms = o->comms, .n_comms = o->n_comms,
		.cgroups = o->cgroups, .n_cgroups = o->n_cgroups,
		.ringbuf_bytes = o->ringbuf_bytes,
		.scoped_uprobes = o->scoped_uprobes,
		.promote = o->promote,
		.bounded_bytes = o->bounded_bytes,
		.inject = o->inject_traceparent,
		.idle_detach_ms = o->idle_detach_ms,
	};
	uint64_t mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	struct capture_writer *writer = NULL;
	struct ring_reader *ring = NULL;
	struct health *health = NULL;
	struct caps_report caps;
	struct probes *probes = NULL;
	struct live l = { 0 };
	uint64_t start, last_stats, last_tick, stop_at = 0;
	bool locating = false;
	char mode[512];
	int err, n;

	err = caps__check(&caps);
	if (err < 0) {
		warn("failed to read capabilities: %s", strerror(-err));
	} else {
		caps__log(&caps);
		if (caps__fatal(&caps)) {
			warn("cannot load BPF programs without these capabilities; see docs/security.md");
			return -EPERM;
		}
	}
	if (o->n_pids) {
		err = pid_watch__check(o->pids, o->n_pids);
		if (err)
			return err;
		l.pids = pid_watch__new(o->pids, o->n_pids);
		if (!l.pids)
			return -ENOMEM;
	}
	if (o->health_addr) {
		err = health__start(o->health_addr, &health);
		if (err) {
			warn("failed to serve health endpoint on %s: %s", o->health_addr,
			     strerror(-err));
			goto cleanup;
		}
	}
	if (o->mode == CLI_RECORD) {
		struct capture_info ci;

		fill_capture_info(&ci, mono_to_real, o->promote ? o->bounded_bytes : 0);
		err = capture_writer__open(o->output, &ci, &writer);
		if (err) {
			warn("failed to open %s: %s", o->output, strerror(-err));
			goto cleanup;
		}
	}
	/* The pipeline first: a bad exporter setting stops before BPF loads. */
	err = pipeline__new(o, mono_to_real, writer, &l.pipe);
	if (err)
		goto cleanup;
	err = probes__open(&pc, &probes);
	if (err)
		goto cleanup;
	l.probes = probes;
	pipeline__set_inject(l.pipe, probes__inject(probes));
	if (probes__bounded_bytes(probes)) {
		l.targets = target_set__new(probes);
		if (!l.targets) {
			err = -ENOMEM;
			goto cleanup;
		}
		pipeline__set_targets(l.pipe, is_target, l.targets);
	}
	l.disc = discover__new(probes, on_discovered, &l);
	if (!l.disc) {
		err = -ENOMEM;
		goto cleanup;
	}
	discover__set_targets(l.disc, l.targets);
	for (size_t i = 0; i < o->n_llm_hosts; i++)
		discover__add_llm_host(l.disc, o->llm_hosts[i]);
	if (!o->tls_cache || strcmp(o->tls_cache, "none"))
		discover__set_tls_cache(l.disc, o->tls_cache ? o->tls_cache : PLAN_CACHE_DEFAULT);
	err = targets__seed(probes, o->comms, o->n_comms, o->cgroups, o->n_cgroups);
	if (err < 0)
		warn("failed to scan processes for targets: %s", strerror(-err));
	probes__tick(probes); /* live --pid or seeded targets: attach now */
	err = ring_reader__new(probes__ringbuf_fd(probes), on_record, &l, &ring);
	if (err) {
		warn("failed to create ring buffer reader: %s", strerror(-err));
		goto cleanup;
	}
	n = discover__scan_all(l.disc);
	info("tracing %s; TLS probes on %d file(s)",
	     cli__describe_targets(o, mode, sizeof(mode)), n < 0 ? 0 : n);
	if (o->ready_file) {
		err = write_ready_file(o->ready_file);
		if (err) {
			warn("failed to write ready file %s: %s", o->ready_file, strerror(-err));
			goto cleanup;
		}
	}
	health__set_ready(health);
	start = last_stats = last_tick = clock_ns(CLOCK_MONOTONIC);
	while (!exiting) {
		uint64_t now;

		health__beat(health);
		err = ring_reader__poll(ring, probes__inject(probes) || locating ? INJECT_POLL_MS
									   : POLL_MS);
		if (err < 0) {
			warn("ring buffer poll failed: %s", strerror(-err));
			goto cleanup;
		}
		/* binaries located off the loop get their probes; while one is
		 * being located the loop turns faster, so they come soon after */
		locating = discover__poll(l.disc);
		probes__tick(probes);
		now = clock_ns(CLOCK_MONOTONIC);
		if (now - last_tick >= 1000000000ull) {
			bool print = o->stats_interval &&
				     now - last_stats >= o->stats_interval * 1000000000ull;

			pipeline__tick(l.pipe, now);
			discover__tick(l.disc, now);
			/* /metrics and the stats line come from one rendering */
			self_stats__emit(probes, ring, l.pipe, l.disc, health,
					 print ? stderr : NULL);
			if (print)
				last_stats = now;
			last_tick = now;
		}
		if (o->duration && now - start >= o->duration * 1000000000ull)
			break;
	}
	/* Drain what the kernel already produced; bounded, as producers may
	 * never stop: a ring's worth of full batches, and a quarter of the
	 * shutdown timeout, which covers the whole exit from here. */
	stop_at = clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 64 && ms_since(stop_at) < o->shutdown_ms / 4 &&
			ring_reader__poll(ring, 0) > 0; i++)
		;
	err = 0;
cleanup:
	self_stats__emit(probes, ring, l.pipe, l.disc, NULL, stderr);
	if (l.pipe)
		pipeline__finish(l.pipe, stop_at ? exit_ms_left(stop_at, o->shutdown_ms)
						 : (int)o->shutdown_ms);
	ring_reader__free(ring);
	discover__free(l.disc);
	pid_watch__free(l.pids);
	target_set__free(l.targets);
	probes__close(probes);
	health__stop(health);
	if (writer) {
		int werr = capture_writer__close(writer);

		if (werr && !err) {
			warn("failed to write %s: %s", o->output, strerror(-werr));
			err = werr;
		}
	}
	return err;
}

static int run_analyze(const struct cli_opts *o)
{
	struct capture_reader *r = NULL;
	struct pipeline *pipe = NULL;
	struct target_set *targets = NULL;
	struct capture_info ci;
	const void *rec;
	size_t len;
	int err;

	err = capture_reader__open(o->input, &ci, &r);
	if (err) {
		warn("%s: %s", o->input, r ? capture_reader__error(r) : strerror(-err));
		goto cleanup;
	}
	if (ci.bounded_bytes)
		info("%s was recorded with bounded capture: processes that were not targets "
		     "have at most %u bytes of each read/write and little after each "
		     "connection's first message, and make spans only of calls to a "
		     "target, as live", o->input, ci.bounded_bytes);
	err = pipeline__new(o, ci.mono_to_real_ns, NULL, &pipe);
	if (err)
		goto cleanup;
	/* the file's records say who was a target (capture/target_set.h) */
	if (ci.bounded_bytes) {
		targets = target_set__new(NULL);
		if (!targets) {
			err = -ENOMEM;
			goto cleanup;
		}
		pipeline__set_targets(pipe, is_target, targets);
	}
	while (!exiting && (err = capture_reader__next(r, &rec, &len)) > 0) {
		target_set__record(targets, rec, len);
		pipeline__handle(pipe, rec, len);
	}
	if (err < 0)
		warn("%s: %s", o->input, capture_reader__error(r));
cleanup:
	if (pipe) {
		pipeline__print_stats(pipe, stderr);
		pipeline__finish(pipe, o->shutdown_ms);
	}
	target_set__free(targets);
	capture_reader__close(r);
	return err;
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	/* before anything builds JSON or starts a thread */
	small_alloc__install_jansson();
	cli__parse(argc, argv, &o);
	if (o.list_tls_pid) {
		err = tls_list__print(o.list_tls_pid, stdout);
		if (err)
			warn("--list-tls %d: %s", (int)o.list_tls_pid, strerror(-err));
		return err ? 1 : 0;
	}
	/* Before any thread starts: libcurl's global state is not thread-safe. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log__set_level(o.verbose >= 2 ? LOG_DEBUG : LOG_INFO);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Spans on stdout must not wait for a buffer to fill. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = o.mode == CLI_ANALYZE || o.mode == CLI_CONTRACTS ? run_analyze(&o) : run_live(&o);
	curl_global_cleanup();
	config_file__release();
	return err ? 1 : 0;
}
