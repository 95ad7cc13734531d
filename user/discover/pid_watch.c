// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <agentrace/events.h>

#include "common/log.h"
#include "discover/pid_watch.h"

struct pid_watch {
	size_t n, left;
	pid_t *pids;
	bool *gone;
};

int pid_watch__check(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* EPERM still means the process exists. */
		if (kill(pids[i], 0) == 0 || errno == EPERM)
			continue;
		if (errno == ESRCH) {
			warn("--pid %d: no such process", (int)pids[i]);
			return -ESRCH;
		}
		warn("--pid %d: %s", (int)pids[i], strerror(errno));
		return -errno;
	}
	return 0;
}

struct pid_watch *pid_watch__new(const pid_t *pids, size_t n)
{
	struct pid_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->pids = calloc(n ? n : 1, sizeof(*w->pids));
	w->gone = calloc(n ? n : 1, sizeof(*w->gone));
	if (!w->pids || !w->gone) {
		pid_watch__free(w);
		return NULL;
	}
	memcpy(w->pids, pids, n * sizeof(*pids));
	w->n = w->left = n;
	return w;
}

void pid_watch__free(struct pid_watch *w)
{
	if (!w)
		return;
	free(w->pids);
	free(w->gone);
	free(w);
}

void pid_watch__handle(struct pid_watch *w, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;

	if (!w || len < sizeof(*h) || h->type != AR_EV_PROC_EXIT)
		return;
	for (size_t i = 0; i < w->n; i++) {
		if ((uint32_t)w->pids[i] != h->tgid || w->gone[i])
			continue;
		w->gone[i] = true;
		w->left--;
		info("--pid %d exited; %zu of %zu named processes left", (int)w->pids[i],
		     w->left, w->n);
	}
}
