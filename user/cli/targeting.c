// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "cli/args.h"
#include "cli/targeting.h"

struct out {
	char *buf;
	size_t cap, len;
};

/* Appends to o, cutting at its capacity. */
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

static void put_selectors(struct out *w, const struct cli_opts *o)
{
	const char *sep = "";

	for (size_t i = 0; i < o->n_comms; i++, sep = " ")
		put(w, "%s--comm %s", sep, o->comms[i]);
	for (size_t i = 0; i < o->n_pids; i++, sep = " ")
		put(w, "%s--pid %d", sep, (int)o->pids[i]);
	if (o->n_cgroups)
		put(w, "%s%zu --cgroup", sep, o->n_cgroups);
}

const char *cli__describe_targets(const struct cli_opts *o, char *buf, size_t cap)
{
	struct out w = { buf, cap, 0 };
	bool named = o->n_pids || o->n_comms || o->n_cgroups;

	if (cap)
		buf[0] = 0;
	if (o->trace_all) {
		put(&w, "every process, whole (--trace-all)");
		return buf;
	}
	if (named) {
		put(&w, "named targets (");
		put_selectors(&w, o);
		put(&w, ")");
	}
	if (!o->promote) {
		put(&w, " only: no promotion, other processes are not copied");
		return buf;
	}
	put(&w, "%sagents promoted by their traffic (agent-first: LLM/tool SNI, LLM or MCP "
	    "request, serving an agent; until exit)", named ? " and " : "");
	if (o->bounded_bytes)
		put(&w, "; other processes bounded to %u bytes per call", o->bounded_bytes);
	else
		put(&w, "; other processes: only the head of each connection's first write");
	return buf;
}
