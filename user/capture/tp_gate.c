// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "capture/tp_gate.h"
#include "common/log.h"

#define GATE_MAX 64                     /* capture.bpf.c has 25 */
#define GATE_LOG_GAP_NS 1000000000ull   /* at most a line a second */
#define SYSCALL_SEC "tracepoint/syscalls/"

struct tp_gate {
	struct bpf_program *progs[GATE_MAX];
	struct bpf_link *links[GATE_MAX];
	size_t n;
	bool attached;
	uint64_t idle_ns;
	uint64_t live_ns;      /* a target was last seen then */
	uint64_t logged_ns;    /* the last attach/detach line */
	uint64_t unlogged;     /* changes since that line */
	uint64_t cycles;       /* attaches */
	uint64_t attach_ns_last, attach_ns_max;
	uint64_t errors;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct tp_gate *tp_gate__new(struct bpf_object *obj, uint32_t idle_ms)
{
	struct tp_gate *g = calloc(1, sizeof(*g));
	struct bpf_program *prog;

	if (!g)
		return NULL;
	g->idle_ns = idle_ms * 1000000ull;
	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);

		if (strncmp(sec, SYSCALL_SEC, strlen(SYSCALL_SEC)) || g->n == GATE_MAX)
			continue;
		bpf_program__set_autoattach(prog, false);
		g->progs[g->n++] = prog;
	}
	return g;
}

static void detach_all(struct tp_gate *g)
{
	for (size_t i = 0; i < g->n; i++) {
		bpf_link__destroy(g->links[i]);
		g->links[i] = NULL;
	}
	g->attached = false;
}

void tp_gate__free(struct tp_gate *g)
{
	if (!g)
		return;
	detach_all(g);
	free(g);
}

/* One line per change, at most one a second; the next says how many
 * went unlogged. */
static void log_change(struct tp_gate *g, uint64_t now, const char *what, const char *why)
{
	if (g->logged_ns && now - g->logged_ns < GATE_LOG_GAP_NS) {
		g->unlogged++;
		return;
	}
	info("syscall tracepoints %s: %s (%" PRIu64 " changes not logged since the last line)",
	     what, why, g->unlogged);
	g->logged_ns = now;
	g->unlogged = 0;
}

int tp_gate__open(struct tp_gate *g, uint64_t now_ns, const char *why)
{
	uint64_t t0;
	char line[192];
	int err;

	g->live_ns = now_ns;
	if (g->attached)
		return 0;
	t0 = mono_ns();
	for (size_t i = 0; i < g->n; i++) {
		g->links[i] = bpf_program__attach(g->progs[i]);
		if (!g->links[i]) {
			err = -errno;
			if (!g->errors++)
				warn("failed to attach %s: %s; targets are not traced until it "
				     "attaches (tracepoints: errors)",
				     bpf_program__section_name(g->progs[i]), strerror(-err));
			detach_all(g);
			return err;
		}
	}
	g->attached = true;
	g->cycles++;
	g->attach_ns_last = mono_ns() - t0;
	if (g->attach_ns_last > g->attach_ns_max)
		g->attach_ns_max = g->attach_ns_last;
	snprintf(line, sizeof(line), "%s; %zu programs in %" PRIu64 " us", why, g->n,
		 g->attach_ns_last / 1000);
	log_change(g, now_ns, "attached", line);
	return 0;
}

int tp_gate__tick(struct tp_gate *g, uint64_t now_ns, bool live, const char *why)
{
	char line[96];

	if (live)
		return tp_gate__open(g, now_ns, why);
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
		" attach_us_max=%" PRIu64 " errors=%" PRIu64 "\n", g->attached, g->cycles,
		g->attach_ns_last / 1000, g->attach_ns_max / 1000, g->errors);
}
