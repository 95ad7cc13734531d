// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export/console_tree.h"

struct group {
	uint8_t trace_id[16];
	struct span **v;
	size_t n, cap;
	uint64_t first, last; /* arrival of the first and latest span */
	bool has_root;
};

struct console_tree {
	struct console *c;
	struct group g[CONSOLE_TREE_MAX_TRACES];
	size_t ng, held;
};

struct console_tree *console_tree__new(struct console *c)
{
	struct console_tree *t = calloc(1, sizeof(*t));

	if (t)
		t->c = c;
	return t;
}

static bool is_root(const struct span *s)
{
	static const uint8_t zero[8];

	return memcmp(s->parent_span_id, zero, 8) == 0;
}

static uint64_t ready_at(const struct group *g)
{
	uint64_t late = g->first + CONSOLE_TREE_MAX_WAIT_NS;
	uint64_t settled = g->last + CONSOLE_TREE_SETTLE_NS;

	return g->has_root && settled < late ? settled : late;
}

/* Prints and drops group i (order of the others is kept). */
static int print_group(struct console_tree *t, size_t i)
{
	struct group *g = &t->g[i];
	int err = console__write(t->c, g->v, g->n);

	for (size_t k = 0; k < g->n; k++)
		span__free(g->v[k]);
	free(g->v);
	t->held -= g->n;
	memmove(g, g + 1, (t->ng - i - 1) * sizeof(*g));
	t->ng--;
	return err;
}

int console_tree__add(struct console_tree *t, struct span *s, uint64_t now)
{
	struct group *g = NULL;
	int err = 0;

	for (size_t i = 0; i < t->ng && !g; i++)
		if (memcmp(t->g[i].trace_id, s->trace_id, 16) == 0)
			g = &t->g[i];
	if (!g) {
		if (t->ng == CONSOLE_TREE_MAX_TRACES)
			err = print_group(t, 0);
		g = &t->g[t->ng++];
		memset(g, 0, sizeof(*g));
		memcpy(g->trace_id, s->trace_id, 16);
		g->first = now;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct span **v = realloc(g->v, cap * sizeof(*v));

		if (!v) {
			err = console__write(t->c, &s, 1);
			span__free(s);
			return err;
		}
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n++] = s;
	g->last = now;
	g->has_root |= is_root(s);
	t->held++;
	while (t->held > CONSOLE_TREE_MAX_SPANS && t->ng)
		err |= print_group(t, 0);
	return err ? -EIO : 0;
}

int console_tree__flush(struct console_tree *t, uint64_t now)
{
	int err = 0;

	for (size_t i = 0; i < t->ng;) {
		if (now == UINT64_MAX || ready_at(&t->g[i]) <= now)
			err |= print_group(t, i);
		else
			i++;
	}
	return err ? -EIO : 0;
}

uint64_t console_tree__next(const struct console_tree *t)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < t->ng; i++) {
		uint64_t r = ready_at(&t->g[i]);

		if (r < next)
			next = r;
	}
	return next;
}

void console_tree__free(struct console_tree *t)
{
	if (!t)
		return;
	console_tree__flush(t, UINT64_MAX);
	free(t);
}
