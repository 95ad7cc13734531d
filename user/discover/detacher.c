// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "capture/probes.h"
#include "common/worker.h"
#include "discover/detacher.h"

#define QUEUE_MAX 4096

struct detacher {
	struct worker w;
	size_t head, n;
	struct tls_attach *q[QUEUE_MAX];
};

static void *run(void *arg)
{
	struct detacher *d = arg;

	pthread_mutex_lock(&d->w.lock);
	for (;;) {
		struct tls_attach *a;

		while (!d->n && !d->w.stop)
			pthread_cond_wait(&d->w.cond, &d->w.lock);
		if (!d->n)
			break;
		a = d->q[d->head];
		d->head = (d->head + 1) % QUEUE_MAX;
		d->n--;
		pthread_mutex_unlock(&d->w.lock);
		probes__detach_tls(a);
		pthread_mutex_lock(&d->w.lock);
	}
	pthread_mutex_unlock(&d->w.lock);
	return NULL;
}

struct detacher *detacher__new(void)
{
	struct detacher *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return NULL;
	err = worker__start(&d->w, run, d);
	if (err) {
		free(d);
		errno = -err;
		return NULL;
	}
	return d;
}

void detacher__free(struct detacher *d)
{
	if (!d)
		return;
	worker__stop(&d->w);
	free(d);
}

void detacher__push(struct detacher *d, struct tls_attach *a)
{
	bool queued = false;

	if (d) {
		pthread_mutex_lock(&d->w.lock);
		if (d->n < QUEUE_MAX) {
			d->q[(d->head + d->n) % QUEUE_MAX] = a;
			d->n++;
			queued = true;
			pthread_cond_signal(&d->w.cond);
		}
		pthread_mutex_unlock(&d->w.lock);
	}
	if (!queued)
		probes__detach_tls(a);
}
