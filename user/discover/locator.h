/* SPDX-License-Identifier: MIT */
/* Locates TLS functions (a tls_lib plan) on a thread of its own.
 * Locating a large stripped binary takes 100 ms to seconds on a loaded
 * host; on the event loop that stalled every other process's records and
 * attachments meanwhile. The owner pushes a file it holds open and later
 * pops the finished plan, on its own thread; the locator never touches
 * the owner's tables. Bounded: at most LOCATOR_MAX jobs queued or done. */
#ifndef AR_DISCOVER_LOCATOR_H
#define AR_DISCOVER_LOCATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "discover/tls_lib.h"

#define LOCATOR_MAX 32

struct locator;

struct locate_job {
	uint32_t idx;           /* the owner's key, handed back */
	int fd;                 /* the file, open; the owner closes it after pop
				 * (not after an early one: still being read) */
	struct tls_plan *plan;  /* result (owned by whoever pops it) */
	int n;                  /* plan's return: probes, 0, or -errno */
	long ms;                /* wall time spent locating */
	/* An early result: the file's first library is located and another
	 * is still being located (tls_lib__plan_early); the final job for
	 * the same idx follows, its plan starting with these probes. */
	bool early;
	struct tls_plan *early_plan; /* the locator's: early plan not popped yet */
};

/* Starts the thread; plan is tls_lib__plan_early or a test's stand-in,
 * called on the locator's thread only. NULL (errno set) on failure. */
struct locator *locator__new(tls_plan_fn plan);
/* Waits for the job in progress, then closes the fds and frees the plans
 * of every job not popped. */
void locator__free(struct locator *l);

/* Queues the file open as fd (ownership passes on success). Returns 0,
 * -EAGAIN when LOCATOR_MAX jobs are pending (the caller keeps fd and
 * locates it itself), or -ENOMEM. */
int locator__push(struct locator *l, uint32_t idx, int fd);
/* Takes one finished job, or the early result of the job being located
 * (job->early); false when neither is ready. Never blocks. */
bool locator__pop(struct locator *l, struct locate_job *out);
/* Jobs queued or running, not yet popped. */
unsigned locator__pending(struct locator *l);

#endif
