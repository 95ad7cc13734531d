/* SPDX-License-Identifier: MIT */
/*
 * Condition variables whose timed waits take CLOCK_MONOTONIC deadlines, as
 * the export threads compute them. A condvar on the default clock
 * (CLOCK_REALTIME) would see every such deadline as long past and return
 * at once: a wait loop would spin.
 */
#ifndef AR_COMMON_MONO_COND_H
#define AR_COMMON_MONO_COND_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

static inline void mono_cond__init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

/* Waits on cv (mu held) until the monotonic time at_ns or a signal. */
static inline void mono_cond__wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t at_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(at_ns / 1000000000ull),
			       .tv_nsec = (long)(at_ns % 1000000000ull) };

	pthread_cond_timedwait(cv, mu, &ts);
}

#endif
