// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "capture/tp_gate.h"
#include "common/log.h"
#include "common/worker.h"

#define GATE_MAX 64 /* capture.bpf.o has 10, inject.bpf.o 5 */
#define GATE_LOG_WINDOW_NS 60000000000ull /* at most GATE_LOG_LINES lines */
#define GATE_LOG_LINES 10                   /* a minute */
/* Section prefixes of the programs the gate manages; the rest of the
 * name is the tracepoint's. Syscall tracepoints put every thread on the
 * syscall slow path; the socket layer's and mmap's do not, but an
 * untargeted node need not pay them either. The sched ones that find
 * targets stay attached. */
static const char *const gated_secs[] = {
	"tracepoint/syscalls/",
	"tp_btf/sock_",               /* sock_send_length, sock_recv_length */
	"tp_btf/inet_sock_set_state", /* births and closes */
	"tp_btf/mmap_lock_",          /* a target's library loads */
};

struct tp_gate {
	struct bpf_program *progs[GATE_MAX];
	struct bpf_link *links[GATE_MAX];
	size_t n;
	bool attached;
	uint64_t idle_ns;
	uint64_t live_ns;      /* a target was last seen then */
	uint64_t window_ns;    /* the log window started then */
	uint64_t logged;       /* lines in this window */
	uint64_t unlogged;     /* changes not logged since the last line */
	uint64_t cycles;       /* attaches */
	uint64_t attach_ns_last, attach_ns_max;
	uint64_t lag_ns_last, lag_ns_max; /* a target's exec/fork to attached */
	uint64_t errors;
	/* Destroying a tracepoint's last perf event waits for RCU grace
	 * periods (perf_trace_event_unreg), 30-70 ms each here: 0.7-1.6 s
	 * for all of them, during which the event loop, done inline, left
	 * the next target's exec record unread and lost its first call. A
	 * thread of its own destroys them, one at a time; the gate counts
	 * as detached at once. A program cannot be attached again while its
	 * old link lives (-EEXIST), so an attach takes back the links not
	 * destroyed yet, and waits for the one being destroyed. */
	struct worker w;
	bool threaded;
	struct bpf_link *doomed[GATE_MAX]; /* by program; under w.lock */
	size_t n_doomed;
	int inflight; /* program whose link is being destroyed, or -1 */
	uint32_t slow_unreg_ms; /* AGENTRACE_TEST_SLOW_UNREG_MS: tests widen the race */
	volatile uint32_t *live; /* the kernel's tp_gate_live, or NULL */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *destroyer(void *arg)
{
	struct tp_gate *g = arg;

	pthread_mutex_lock(&g->w.lock);
	for (;;) {
		struct bpf_link *l;
		size_t i;

		while (!g->n_doomed && !g->w.stop)
			pthread_cond_wait(&g->w.cond, &g->w.lock);
		if (!g->n_doomed)
			break;
		/* The last attached first: what stays attached is then always
		 * a prefix of the attach order, which a re-attach extends in
		 * order (programs on one tracepoint run in attach order, and
		 * inject's must run after capture's). */
		for (i = GATE_MAX - 1; !g->doomed[i]; i--)
			;
		l = g->doomed[i];
		g->doomed[i] = NULL;
		g->n_doomed--;
		g->inflight = i;
		pthread_mutex_unlock(&g->w.lock);
		if (g->slow_unreg_ms)
			usleep(g->slow_unreg_ms * 1000u);
		bpf_link__destroy(l);
		pthread_mutex_lock(&g->w.lock);
		g->inflight = -1;
		pthread_cond_broadcast(&g->w.cond);
	}
	pthread_mutex_unlock(&g->w.lock);
	return NULL;
}

/* 0: sends data, 1: receives it, 2: anything else (connect, accept,
 * close, mmap). */
static int attach_rank(const char *tp)
{
	if (strstr(tp, "write") || strstr(tp, "send"))
		return 0;
	if (strstr(tp, "read") || strstr(tp, "recv"))
		return 1;
	return 2;
}

/* The tracepoint of section sec, past its prefix, when the gate manages
 * it; else NULL. */
static const char *gated_tp(const char *sec)
{
	for (size_t i = 0; i < sizeof(gated_secs) / sizeof(gated_secs[0]); i++)
		if (!strncmp(sec, gated_secs[i], strlen(gated_secs[i])))
			return sec + strlen(gated_secs[i]);
	return NULL;
}

/* Appends obj's gated tracepoint programs, writes first. */
static void add_progs(struct tp_gate *g, struct bpf_object *obj)
{
	struct bpf_program *prog;

	/* A new target's first call is a race: attach what sees a request
	 * leave first (writes), then its answer (reads), then the rest. */
	for (int rank = 0; rank < 3; rank++)
		bpf_object__for_each_program(prog, obj) {
			const char *tp = gated_tp(bpf_program__section_name(prog));

			if (!tp || g->n == GATE_MAX || attach_rank(tp) != rank)
				continue;
			bpf_program__set_autoattach(prog, false);
			g->progs[g->n++] = prog;
		}
}

struct tp_gate *tp_gate__new(struct bpf_object *obj, uint32_t idle_ms, volatile uint32_t *live)
{
	struct tp_gate *g = calloc(1, sizeof(*g));
	const char *slow = getenv("AGENTRACE_TEST_SLOW_UNREG_MS");
	int err;

	if (!g)
		return NULL;
	g->inflight = -1;
	g->live = live;
	if (slow)
		g->slow_unreg_ms = (uint32_t)strtoul(slow, NULL, 10) % 10000;
	err = worker__start(&g->w, destroyer, g);
	g->threaded = !err;
	if (err)
		warn("failed to start the tracepoint detaching thread (%s): detaching blocks "
		     "the event loop", strerror(-err));
	g->idle_ns = idle_ms * 1000000ull;
	add_progs(g, obj);
	return g;
}

static void set_live(struct tp_gate *g, uint32_t v)
{
	if (g->live)
		__atomic_store_n(g->live, v, __ATOMIC_SEQ_CST);
}

static void detach_all(struct tp_gate *g)
{
	set_live(g, 0); /* before the first detach: targets from now on are held */
	if (g->threaded)
		pthread_mutex_lock(&g->w.lock);
	for (size_t i = 0; i < g->n; i++) {
		if (g->threaded && g->links[i]) {
			g->doomed[i] = g->links[i];
			g->n_doomed++;
		} else {
			bpf_link__destroy(g->links[i]);
		}
		g->links[i] = NULL;
	}
	if (g->threaded) {
		pthread_cond_broadcast(&g->w.cond);
		pthread_mutex_unlock(&g->w.lock);
	}
	g->attached = false;
}

/* Takes back the links still waiting for the destroyer (they are
 * attached, so their programs run again at once). Returns the program
 * whose link is being destroyed, or -1. */
static int reclaim(struct tp_gate *g)
{
	int busy;

	if (!g->threaded)
		return -1;
	pthread_mutex_lock(&g->w.lock);
	for (size_t i = 0; i < g->n; i++)
		if (g->doomed[i]) {
			g->links[i] = g->doomed[i];
			g->doomed[i] = NULL;
			g->n_doomed--;
		}
	busy = g->inflight;
	pthread_mutex_unlock(&g->w.lock);
	return busy;
}

/* Waits until the destroyer has no link in hand (one grace period). */
static void wait_inflight(struct tp_gate *g)
{
	pthread_mutex_lock(&g->w.lock);
	while (g->inflight >= 0)
		pthread_cond_wait(&g->w.cond, &g->w.lock);
	pthread_mutex_unlock(&g->w.lock);
}

/* Attaches program i unless its link lives. Returns 0 or -errno. */
static int attach_one(struct tp_gate *g, size_t i)
{
	int err;

	if (g->links[i])
		return 0;
	g->links[i] = bpf_program__attach(g->progs[i]);
	if (g->links[i])
		return 0;
	err = -errno;
	if (!g->errors++)
		warn("failed to attach %s: %s; targets are not traced until it attaches "
		     "(tracepoints: errors)", bpf_program__section_name(g->progs[i]),
		     strerror(-err));
	return err;
}

int tp_gate__add(struct tp_gate *g, struct bpf_object *obj)
{
	size_t first = g->n;

	add_progs(g, obj);
	if (!g->attached)
		return 0;
	for (size_t i = first; i < g->n; i++) {
		int err = attach_one(g, i);

		if (err)
			return err; /* the gate stays attached; tp_gate__free detaches */
	}
	return 0;
}

void tp_gate__free(struct tp_gate *g)
{
	if (!g)
		return;
	detach_all(g);
	if (g->threaded)
		worker__stop(&g->w); /* after the queue is empty */
	free(g);
}

/* One line per change, at most GATE_LOG_LINES a minute; the next line
 * says how many went unlogged. */
static void log_change(struct tp_gate *g, uint64_t now, const char *what, const char *why)
{
	if (!g->window_ns || now - g->window_ns >= GATE_LOG_WINDOW_NS) {
		g->window_ns = now;
		g->logged = 0;
	}
	if (g->logged == GATE_LOG_LINES) {
		g->unlogged++;
		return;
	}
	g->logged++;
	if (g->unlogged)
		info("tracepoints %s: %s (%" PRIu64 " changes not logged before)", what,
		     why, g->unlogged);
	else
		info("tracepoints %s: %s", what, why);
	g->unlogged = 0;
}

int tp_gate__open(struct tp_gate *g, uint64_t now_ns, uint64_t event_ns, const char *why)
{
	uint64_t t0, t1;
	char line[192];
	int busy, err = 0;

	g->live_ns = now_ns;
	if (g->attached)
		return 0;
	t0 = mono_ns();
	/* Still attached: a prefix of the order (the destroyer goes from
	 * the end). The rest is attached in order after the one being
	 * destroyed is gone, so each tracepoint's programs keep their order. */
	busy = reclaim(g);
	if (busy >= 0)
		wait_inflight(g);
	for (size_t i = 0; i < g->n && !err; i++)
		err = attach_one(g, i);
	if (err) {
		detach_all(g);
		return err;
	}
	g->attached = true;
	set_live(g, 1);
	g->cycles++;
	t1 = mono_ns();
	g->attach_ns_last = t1 - t0;
	if (g->attach_ns_last > g->attach_ns_max)
		g->attach_ns_max = g->attach_ns_last;
	if (event_ns && event_ns < t1) {
		g->lag_ns_last = t1 - event_ns;
		if (g->lag_ns_last > g->lag_ns_max)
			g->lag_ns_max = g->lag_ns_last;
	}
	snprintf(line, sizeof(line), "%s; %zu programs in %" PRIu64 " us, %" PRIu64
		 " us after the kernel saw it", why, g->n, g->attach_ns_last / 1000,
		 event_ns && event_ns < t1 ? (t1 - event_ns) / 1000 : 0);
	log_change(g, now_ns, "attached", line);
	return 0;
}

int tp_gate__tick(struct tp_gate *g, uint64_t now_ns, bool live, const char *why)
{
	char line[96];

	if (live)
		return tp_gate__open(g, now_ns, 0, why);
	if (!g->attached || now_ns - g->live_ns < g->idle_ns)
		return 0;
	detach_all(g);
	snprintf(line, sizeof(line), "no target for %" PRIu64 " ms", g->idle_ns / 1000000);
	log_change(g, now_ns, "detached", line);
	return 0;
}

bool tp_gate__attached(const struct tp_gate *g)
{
	return g && g->attached;
}

void tp_gate__print_stats(const struct tp_gate *g, FILE *f)
{
	if (!g)
		return;
	fprintf(f, "tracepoints: attached=%d cycles=%" PRIu64 " attach_us_last=%" PRIu64
		" attach_us_max=%" PRIu64 " lag_us_last=%" PRIu64 " lag_us_max=%" PRIu64
		" errors=%" PRIu64 "\n", g->attached, g->cycles, g->attach_ns_last / 1000,
		g->attach_ns_max / 1000, g->lag_ns_last / 1000, g->lag_ns_max / 1000, g->errors);
}
