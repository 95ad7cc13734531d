// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include <agentrace/events.h>

#include "capture/probes.h"
#include "common/held.h"
#include "common/log.h"
#include "discover/exec_hold.h"
#include "discover/verdict_hold.h"

/* bpf/exec_hold.bpf.h's map values. */
#define HOLD_PENDING 1
#define HOLD_STOPPED 2

struct exec_hold {
	struct probes *probes;
	int map_fd;
	struct verdict_hold held; /* stopped pids, oldest first */
	uint64_t stopped, after_deadline, failed;
	struct held_counts counts;
};

struct exec_hold *exec_hold__new(struct probes *p)
{
	int fd = probes__exec_hold_fd(p);
	struct exec_hold *h;

	if (fd < 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		warn("no memory for the exec hold: selector targets may lose their first call");
		return NULL;
	}
	h->probes = p;
	h->map_fd = fd;
	return h;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void exec_hold__probed(struct exec_hold *h, uint32_t pid)
{
	uint64_t v;

	/* A STOPPED entry stays: its record is on the way and continues it. */
	if (h && bpf_map_lookup_elem(h->map_fd, &pid, &v) == 0 && v == HOLD_PENDING)
		bpf_map_delete_elem(h->map_fd, &pid);
}

void exec_hold__stopped(struct exec_hold *h, const void *rec, size_t len, bool probes_ready,
			uint64_t now)
{
	const struct ar_proc_event *ev = rec;
	uint64_t due;

	if (!h || len < sizeof(*ev))
		return;
	if (ev->hdr.flags & AR_F_HOLD_FAILED) {
		if (!h->failed++)
			warn("failed to stop pid %u (%.16s) until its probes are in: its first "
			     "call may be lost (hold: failed)", ev->hdr.tgid, ev->comm);
		return;
	}
	h->stopped++;
	if (probes_ready) {
		held__cont(h->map_fd, ev->hdr.tgid, ev->hdr.ts_ns, now, &h->counts, "exec hold");
		return;
	}
	due = verdict_hold__push(&h->held, ev->hdr.tgid, ev->hdr.ts_ns);
	if (due)
		held__cont(h->map_fd, (uint32_t)due, now, now, &h->counts, "exec hold");
}

void exec_hold__release(struct exec_hold *h, bool probes_ready, uint64_t now)
{
	uint64_t pid, since;

	if (!h)
		return;
	while (h->held.n) {
		since = h->held.since[h->held.head];
		if (!verdict_hold__pop(&h->held, now, probes_ready ? 0 : EXEC_HOLD_MAX_NS, &pid))
			break;
		if (!probes_ready) {
			h->after_deadline++;
			warn("pid %u continued after %llu ms without all its probes (hold: "
			     "after_deadline)", (uint32_t)pid, (unsigned long long)EXEC_HOLD_MAX_NS / 1000000);
		}
		held__cont(h->map_fd, (uint32_t)pid, since, now, &h->counts, "exec hold");
	}
}

void exec_hold__free(struct exec_hold *h)
{
	uint32_t key, next, *prev = NULL;
	uint64_t v;

	if (!h)
		return;
	probes__exec_hold_off(h->probes);
	/* a program past its check of exec_hold_on finishes within this */
	usleep(20000);
	exec_hold__release(h, true, mono_ns());
	/* stopped, but its record was never read */
	while (bpf_map_get_next_key(h->map_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(h->map_fd, &key, &v) == 0 && v == HOLD_STOPPED &&
		    kill((pid_t)key, SIGCONT) == 0)
			h->counts.continued++;
	}
	free(h);
}

void exec_hold__print_stats(const struct exec_hold *h, FILE *f)
{
	if (!h)
		return;
	fprintf(f, " stopped=%llu continued=%llu after_deadline=%llu failed=%llu held_us_max=%llu",
		(unsigned long long)h->stopped, (unsigned long long)h->counts.continued,
		(unsigned long long)h->after_deadline, (unsigned long long)h->failed,
		(unsigned long long)h->counts.held_ns_max / 1000);
}
