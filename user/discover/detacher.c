// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "capture/probes.h"
#include "discover/detacher.h"

#define QUEUE_MAX 4096

struct detacher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	size_t head, n;
	struct tls_attach *q[QUEUE_MAX];
};

static void *run(void *arg)
{
	struct detacher *d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct tls_attach *a;

		while (!d->n && !d->stop)
			pthread_cond_wait(&d->cond, &d->lock);
		if (!d->n)
			break;
		a = d->q[d->head];
		d->head = (d->head + 1) % QUEUE_MAX;
		d->n--;
		pthread_mutex_unlock(&d->lock);
		probes__detach_tls(a);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct detacher *detacher__new(void)
{
	struct detacher *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	err = pthread_create(&d->thread, NULL, run, d);
	if (err) {
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		free(d);
		errno = err;
		return NULL;
	}
	return d;
}

void detacher__free(struct detacher *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

void detacher__push(struct detacher *d, struct tls_attach *a)
{
	bool queued = false;

	if (d) {
		pthread_mutex_lock(&d->lock);
		if (d->n < QUEUE_MAX) {
			d->q[(d->head + d->n) % QUEUE_MAX] = a;
			d->n++;
			queued = true;
			pthread_cond_signal(&d->cond);
		}
		pthread_mutex_unlock(&d->lock);
	}
	if (!queued)
		probes__detach_tls(a);
}
