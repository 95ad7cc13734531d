// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/worker.h"
#include "discover/locator.h"

struct locator {
	struct worker w;
	tls_plan_fn plan;
	/* jobs in order: [0, done) finished, [done, n) waiting; q[done] is
	 * being located while the thread works without the lock */
	struct locate_job q[LOCATOR_MAX];
	unsigned n, done;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The job being located has an early plan: kept for the owner's next
 * pop (a newer one replaces one not popped yet). */
static void on_early(void *ctx, const struct tls_plan *plan)
{
	struct locator *l = ctx;
	struct tls_plan *copy = malloc(sizeof(*copy));

	if (!copy)
		return; /* the final plan still comes */
	*copy = *plan;
	pthread_mutex_lock(&l->w.lock);
	free(l->q[l->done].early_plan);
	l->q[l->done].early_plan = copy;
	pthread_mutex_unlock(&l->w.lock);
}

static void *run(void *arg)
{
	struct locator *l = arg;

	pthread_mutex_lock(&l->w.lock);
	for (;;) {
		struct locate_job j;
		struct timespec t0;
		char via[40];

		while (l->done == l->n && !l->w.stop)
			pthread_cond_wait(&l->w.cond, &l->w.lock);
		if (l->w.stop)
			break;
		j = l->q[l->done];
		pthread_mutex_unlock(&l->w.lock);
		snprintf(via, sizeof(via), "/proc/self/fd/%d", j.fd);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		j.n = l->plan(via, j.plan, on_early, l);
		j.ms = ms_since(&t0);
		pthread_mutex_lock(&l->w.lock);
		/* an early plan not popped by now is part of the final one */
		free(l->q[l->done].early_plan);
		j.early_plan = NULL;
		l->q[l->done++] = j;
	}
	pthread_mutex_unlock(&l->w.lock);
	return NULL;
}

struct locator *locator__new(tls_plan_fn plan)
{
	struct locator *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return NULL;
	l->plan = plan;
	err = worker__start(&l->w, run, l);
	if (err) {
		free(l);
		errno = -err;
		return NULL;
	}
	return l;
}

void locator__free(struct locator *l)
{
	if (!l)
		return;
	worker__stop(&l->w);
	for (unsigned i = 0; i < l->n; i++) {
		close(l->q[i].fd);
		free(l->q[i].plan);
		free(l->q[i].early_plan);
	}
	free(l);
}

int locator__push(struct locator *l, uint32_t idx, int fd)
{
	struct tls_plan *plan;
	int err = 0;

	pthread_mutex_lock(&l->w.lock);
	if (l->n == LOCATOR_MAX) {
		err = -EAGAIN;
		goto cleanup;
	}
	plan = malloc(sizeof(*plan));
	if (!plan) {
		err = -ENOMEM;
		goto cleanup;
	}
	l->q[l->n++] = (struct locate_job){ .idx = idx, .fd = fd, .plan = plan };
	pthread_cond_signal(&l->w.cond);
cleanup:
	pthread_mutex_unlock(&l->w.lock);
	return err;
}

bool locator__pop(struct locator *l, struct locate_job *out)
{
	bool got = false;

	pthread_mutex_lock(&l->w.lock);
	if (!l->done && l->n && l->q[0].early_plan) {
		/* the job being located (q[0]) hands out its first library */
		*out = l->q[0];
		out->plan = out->early_plan;
		out->n = out->plan->n;
		out->early = true;
		out->early_plan = NULL;
		l->q[0].early_plan = NULL;
		got = true;
	} else if (l->done) {
		*out = l->q[0];
		/* the job being located moves down with done, so run() stores
		 * its result at q[done] all the same */
		for (unsigned i = 1; i < l->n; i++)
			l->q[i - 1] = l->q[i];
		l->n--;
		l->done--;
		got = true;
	}
	pthread_mutex_unlock(&l->w.lock);
	return got;
}

unsigned locator__pending(struct locator *l)
{
	unsigned n;

	pthread_mutex_lock(&l->w.lock);
	n = l->n;
	pthread_mutex_unlock(&l->w.lock);
	return n;
}
