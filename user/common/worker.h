/* SPDX-License-Identifier: MIT */
/*
 * One background thread with a queue lock, a wake-up condvar and a stop
 * flag: the life cycle the discover stage's helper threads (locator,
 * detacher) share. The thread function owns the loop; it waits on cond
 * under lock and returns once stop is set.
 */
#ifndef AR_COMMON_WORKER_H
#define AR_COMMON_WORKER_H

#include <pthread.h>
#include <stdbool.h>

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
};

/* Initialises w and starts run(arg). Returns 0 or -errno; on failure w
 * holds nothing. */
int worker__start(struct worker *w, void *(*run)(void *), void *arg);
/* Sets stop, wakes the thread and joins it, then releases the lock and
 * condvar. The caller frees what the queue still holds afterwards. */
void worker__stop(struct worker *w);

#endif
