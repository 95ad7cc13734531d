// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "metrics/encode.h"

bool metrics_encode__same_resource(const struct mpoint *a, const struct mpoint *b)
{
	return a->proc.pid == b->proc.pid && !strcmp(a->proc.service_name, b->proc.service_name);
}

static int cmp(const void *x, const void *y)
{
	const struct mpoint *a = *(const struct mpoint *const *)x;
	const struct mpoint *b = *(const struct mpoint *const *)y;
	int c;

	if (a->proc.pid != b->proc.pid)
		return a->proc.pid < b->proc.pid ? -1 : 1;
	c = strcmp(a->proc.service_name, b->proc.service_name);
	if (c)
		return c;
	c = strcmp(a->inst->name, b->inst->name);
	if (c)
		return c;
	/* stable: keep the store's creation order */
	return a < b ? -1 : a > b;
}

const struct mpoint **metrics_encode__order(const struct mbatch *b)
{
	const struct mpoint **v = calloc(b->n ? b->n : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		v[i] = &b->v[i];
	qsort(v, b->n, sizeof(*v), cmp);
	return v;
}
