// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "metrics/store.h"

#define MSTORE_BUCKETS 1024 /* hash chains; series are capped separately */

struct series {
	struct series *next;
	uint64_t hash;
	struct mpoint p;   /* the live aggregate; a sum's value is its running total */
	int64_t reported;  /* sums: the running total at the last delta collection */
	bool dirty;        /* changed since the last collection */
};

struct mstore {
	pthread_mutex_t mu;
	struct series *tab[MSTORE_BUCKETS];
	struct series **all;   /* in creation order, for stable output */
	size_t n, cap, max;
	bool delta;
	uint64_t start_ns;
	struct mstore_stats st;
};

void mstore__self_proc(struct span_process *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = (uint32_t)getpid();
	snprintf(p->exe_name, sizeof(p->exe_name), "agentrace");
	snprintf(p->service_name, sizeof(p->service_name), "agentrace");
}

struct mstore *mstore__new(size_t max_series, bool delta, uint64_t start_ns)
{
	struct mstore *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	pthread_mutex_init(&st->mu, NULL);
	st->max = max_series;
	st->delta = delta;
	st->start_ns = start_ns;
	return st;
}

static void mpoint__release(struct mpoint *p)
{
	attrs__clear(&p->attrs);
	free(p->buckets);
	p->buckets = NULL;
}

void mstore__free(struct mstore *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		mpoint__release(&st->all[i]->p);
		free(st->all[i]);
	}
	free(st->all);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	return XXH3_64bits_withSeed(s, strlen(s) + 1, h);
}

static uint64_t series_hash(const struct minst *inst, const struct span_process *proc,
			    const struct attr_list *attrs)
{
	uint64_t h = hash_str(0, inst->name);

	h = XXH3_64bits_withSeed(&proc->pid, sizeof(proc->pid), h);
	h = hash_str(h, proc->service_name);
	for (size_t i = 0; attrs && i < attrs->n; i++) {
		const struct attr *a = &attrs->v[i];

		h = hash_str(h, a->key);
		if (a->type == ATTR_STR)
			h = hash_str(h, a->s);
		else if (a->type == ATTR_INT || a->type == ATTR_BOOL)
			h = XXH3_64bits_withSeed(&a->i, sizeof(a->i), h);
	}
	return h;
}

static bool attr_eq(const struct attr *a, const struct attr *b)
{
	if (strcmp(a->key, b->key) || a->type != b->type)
		return false;
	switch (a->type) {
	case ATTR_STR: return strcmp(a->s, b->s) == 0;
	case ATTR_INT: return a->i == b->i;
	case ATTR_DOUBLE: return a->d == b->d;
	case ATTR_BOOL: return a->b == b->b;
	case ATTR_STR_ARRAY: return false; /* never a metric attribute */
	}
	return false;
}

static bool series_eq(const struct series *s, const struct minst *inst,
		      const struct span_process *proc, const struct attr_list *attrs)
{
	size_t n = attrs ? attrs->n : 0;

	if (s->p.inst != inst || s->p.proc.pid != proc->pid ||
	    strcmp(s->p.proc.service_name, proc->service_name) || s->p.attrs.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!attr_eq(&s->p.attrs.v[i], &attrs->v[i]))
			return false;
	return true;
}

/* Creates a series (no cap check). Returns NULL on -ENOMEM. */
static struct series *series_new(struct mstore *st, uint64_t h, const struct minst *inst,
				 const struct span_process *proc, const struct attr_list *attrs)
{
	struct series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct series **v = realloc(st->all, cap * sizeof(*v));

		if (!v)
			goto fail;
		st->all = v;
		st->cap = cap;
	}
	s->hash = h;
	s->p.inst = inst;
	s->p.proc = *proc;
	s->p.start_ns = st->start_ns;
	if (attrs && attrs__copy(&s->p.attrs, attrs))
		goto fail;
	if (inst->kind == MINST_HISTOGRAM) {
		s->p.buckets = calloc(inst->n_bounds + 1, sizeof(*s->p.buckets));
		if (!s->p.buckets)
			goto fail;
	}
	s->next = st->tab[h % MSTORE_BUCKETS];
	st->tab[h % MSTORE_BUCKETS] = s;
	st->all[st->n++] = s;
	st->st.series = st->n;
	return s;
fail:
	mpoint__release(&s->p);
	free(s);
	return NULL;
}

/* Finds or creates the series, or the overflow series past the cap.
 * Called with st->mu held. Returns NULL on -ENOMEM (counted). */
static struct series *lookup(struct mstore *st, const struct minst *inst,
			     const struct span_process *proc, const struct attr_list *attrs)
{
	static const struct span_process none;
	struct span_process self;
	struct attr_list ovf = { 0 };
	struct series *s;
	uint64_t h;

	if (!proc) {
		mstore__self_proc(&self);
		proc = &self;
	}
	h = series_hash(inst, proc, attrs);
	for (s = st->tab[h % MSTORE_BUCKETS]; s; s = s->next)
		if (s->hash == h && series_eq(s, inst, proc, attrs))
			return s;
	if (st->n < st->max) {
		s = series_new(st, h, inst, proc, attrs);
		if (!s)
			st->st.nomem++;
		return s;
	}
	/* Past the cap: one overflow series per instrument. */
	st->st.overflowed++;
	if (attrs__set_bool(&ovf, "otel.metric.overflow", true)) {
		st->st.nomem++;
		return NULL;
	}
	h = series_hash(inst, &none, &ovf);
	for (s = st->tab[h % MSTORE_BUCKETS]; s; s = s->next)
		if (s->hash == h && series_eq(s, inst, &none, &ovf))
			break;
	if (!s && !(s = series_new(st, h, inst, &none, &ovf)))
		st->st.nomem++;
	attrs__clear(&ovf);
	return s;
}

void mstore__record(struct mstore *st, const struct minst *inst, const struct span_process *proc,
		    const struct attr_list *attrs, double v)
{
	struct series *s;
	size_t i = 0;

	pthread_mutex_lock(&st->mu);
	s = lookup(st, inst, proc, attrs);
	if (s) {
		/* Bucket i holds (bounds[i-1], bounds[i]], the last one the rest. */
		while (i < inst->n_bounds && v > inst->bounds[i])
			i++;
		s->p.buckets[i]++;
		if (!s->p.count || v < s->p.min)
			s->p.min = v;
		if (!s->p.count || v > s->p.max)
			s->p.max = v;
		s->p.count++;
		s->p.sum += v;
		s->dirty = true;
	}
	pthread_mutex_unlock(&st->mu);
}

void mstore__add(struct mstore *st, const struct minst *inst, const struct span_process *proc,
		 const struct attr_list *attrs, int64_t n)
{
	struct series *s;

	pthread_mutex_lock(&st->mu);
	s = lookup(st, inst, proc, attrs);
	if (s) {
		s->p.value += n;
		s->dirty = true;
	}
	pthread_mutex_unlock(&st->mu);
}

void mstore__observe(struct mstore *st, const struct minst *inst, const struct attr_list *attrs,
		     int64_t value)
{
	struct series *s;

	pthread_mutex_lock(&st->mu);
	s = lookup(st, inst, NULL, attrs);
	if (s) {
		if (s->p.value != value)
			s->dirty = true;
		s->p.value = value;
	}
	pthread_mutex_unlock(&st->mu);
}

static int mpoint__copy(struct mpoint *dst, const struct mpoint *src)
{
	*dst = *src;
	dst->attrs = (struct attr_list){ 0 };
	dst->buckets = NULL;
	if (attrs__copy(&dst->attrs, &src->attrs))
		return -ENOMEM;
	if (src->buckets) {
		size_t sz = (src->inst->n_bounds + 1) * sizeof(*src->buckets);

		dst->buckets = malloc(sz);
		if (!dst->buckets)
			return -ENOMEM;
		memcpy(dst->buckets, src->buckets, sz);
	}
	return 0;
}

/* Starts a new delta interval at now_ns. */
static void series_reset(struct series *s, uint64_t now_ns)
{
	s->p.start_ns = now_ns;
	s->dirty = false;
	if (s->p.inst->kind == MINST_HISTOGRAM) {
		memset(s->p.buckets, 0, (s->p.inst->n_bounds + 1) * sizeof(*s->p.buckets));
		s->p.count = 0;
		s->p.sum = s->p.min = s->p.max = 0;
	}
}

int mstore__collect(struct mstore *st, uint64_t now_ns, struct mbatch *out)
{
	size_t k = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&st->mu);
	if (st->n && !(out->v = calloc(st->n, sizeof(*out->v)))) {
		err = -ENOMEM;
		goto unlock;
	}
	for (size_t i = 0; i < st->n; i++) {
		struct series *s = st->all[i];

		if (st->delta && !s->dirty)
			continue;
		if (mpoint__copy(&out->v[k], &s->p)) {
			out->n = k + 1;
			mbatch__release(out);
			err = -ENOMEM;
			goto unlock;
		}
		out->v[k].time_ns = now_ns;
		k++;
	}
	out->n = k;
	if (!st->delta)
		goto unlock;
	/* Delta: turn running totals into increments, then restart. */
	k = 0;
	for (size_t i = 0; i < st->n; i++) {
		struct series *s = st->all[i];

		if (!s->dirty)
			continue;
		if (s->p.inst->kind == MINST_SUM) {
			int64_t total = s->p.value;

			out->v[k].value = total - s->reported;
			s->reported = total;
		}
		k++;
		series_reset(s, now_ns);
	}
unlock:
	pthread_mutex_unlock(&st->mu);
	return err;
}

void mbatch__release(struct mbatch *b)
{
	for (size_t i = 0; i < b->n; i++)
		mpoint__release(&b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

void mstore__stats(struct mstore *st, struct mstore_stats *out)
{
	pthread_mutex_lock(&st->mu);
	*out = st->st;
	pthread_mutex_unlock(&st->mu);
}
