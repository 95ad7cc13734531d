// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "capture/gate_hold.h"
#include "common/held.h"
#include "common/log.h"

#define GATE_HELD_MAX 1024 /* bpf/gate_hold.bpf.h gate_held */

struct gate_hold {
	int map_fd;
	volatile uint32_t *on;
	const volatile __u64 *holds, *failed;
	uint64_t seen;    /* *holds at the last sweep */
	bool pending;     /* the last sweep left someone stopped */
	uint32_t keys[GATE_HELD_MAX];
	uint64_t after_deadline;
	struct held_counts counts;
};

struct gate_hold *gate_hold__new(int map_fd, volatile uint32_t *on,
				 const volatile __u64 *holds,
				 const volatile __u64 *failed)
{
	struct gate_hold *h = calloc(1, sizeof(*h));

	if (!h) {
		warn("no memory for the gate hold: a target that starts while the syscall "
		     "tracepoints attach may lose its first calls");
		return NULL;
	}
	h->map_fd = map_fd;
	h->on = on;
	h->holds = holds;
	h->failed = failed;
	__atomic_store_n(h->on, 1, __ATOMIC_SEQ_CST);
	return h;
}

void gate_hold__release(struct gate_hold *h, bool live, uint64_t now)
{
	uint32_t key, *prev = NULL;
	uint64_t seq, since;
	size_t n = 0;

	if (!h)
		return;
	seq = __atomic_load_n(h->holds, __ATOMIC_SEQ_CST);
	if (seq == h->seen && !h->pending)
		return;
	h->seen = seq;
	h->pending = false;
	/* keys first: deleting under get_next_key restarts the walk */
	while (n < GATE_HELD_MAX && !bpf_map_get_next_key(h->map_fd, prev, &h->keys[n])) {
		key = h->keys[n++];
		prev = &key;
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(h->map_fd, &h->keys[i], &since))
			continue; /* exited */
		if (!since) {
			h->pending = true; /* its SIGSTOP is being sent */
			continue;
		}
		if (!live && now - since < GATE_HOLD_MAX_NS) {
			h->pending = true;
			continue;
		}
		if (!live && !h->after_deadline++)
			warn("pid %u continued after %llu ms without the syscall tracepoints "
			     "attached: its first calls may be lost (gate_hold: after_deadline)",
			     h->keys[i], GATE_HOLD_MAX_NS / 1000000);
		held__cont(h->map_fd, h->keys[i], since, now, &h->counts, "gate hold");
	}
}

void gate_hold__free(struct gate_hold *h)
{
	struct timespec ts;

	if (!h)
		return;
	__atomic_store_n(h->on, 0, __ATOMIC_SEQ_CST);
	/* a program past its check of gate_hold_on finishes within this */
	usleep(20000);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	h->pending = true;
	gate_hold__release(h, true, ts.tv_sec * 1000000000ull + ts.tv_nsec);
	/* one whose SIGSTOP was still being sent: continue it all the same */
	for (uint32_t key, i = 0; i < GATE_HELD_MAX &&
	     !bpf_map_get_next_key(h->map_fd, NULL, &key); i++) {
		if (kill((pid_t)key, SIGCONT) == 0)
			h->counts.continued++;
		bpf_map_delete_elem(h->map_fd, &key);
	}
	free(h);
}

void gate_hold__print_stats(const struct gate_hold *h, FILE *f)
{
	if (!h)
		return;
	fprintf(f, "gate_hold: stopped=%llu continued=%llu after_deadline=%llu failed=%llu "
		"held_us_max=%llu\n", (unsigned long long)*h->holds,
		(unsigned long long)h->counts.continued, (unsigned long long)h->after_deadline,
		(unsigned long long)*h->failed, (unsigned long long)h->counts.held_ns_max / 1000);
}
