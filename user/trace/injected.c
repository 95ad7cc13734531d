// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "trace/injected.h"

struct injected {
	struct ar_inject_event v[INJECTED_CAP];
	bool used[INJECTED_CAP];
	size_t next;   /* records ever added: the next slot is next % CAP */
	size_t oldest; /* no used slot among records older than this one */
	struct injected_stats st;
};

struct injected *injected__new(void)
{
	return calloc(1, sizeof(struct injected));
}

void injected__free(struct injected *t)
{
	free(t);
}

void injected__add(struct injected *t, const struct ar_inject_event *ev)
{
	size_t i = t->next++ % INJECTED_CAP;

	if (t->used[i])
		t->st.overwritten++;
	t->v[i] = *ev;
	t->used[i] = true;
	t->st.added++;
}

/* From the oldest record still waiting, forward: records arrive just
 * ahead of their request and are taken in about that order, so the
 * first candidates match (a full scan per request cost the daemon
 * 1-2 us at 10k requests/s). */
bool injected__take(struct injected *t, uint32_t tgid, uint16_t sport, uint16_t dport,
		    uint32_t req_index, struct ar_inject_event *out)
{
	size_t from;

	if (!t || t->st.added == t->st.matched + t->st.overwritten)
		return false;
	from = t->oldest + INJECTED_CAP < t->next ? t->next - INJECTED_CAP : t->oldest;
	while (from < t->next && !t->used[from % INJECTED_CAP])
		from++;
	t->oldest = from;
	for (size_t n = from; n < t->next; n++) {
		size_t i = n % INJECTED_CAP;
		const struct ar_inject_event *e = &t->v[i];

		if (!t->used[i] || e->hdr.tgid != tgid || e->sport != sport ||
		    e->dport != dport || e->req_index != req_index)
			continue;
		*out = *e;
		t->used[i] = false;
		t->st.matched++;
		return true;
	}
	return false;
}

void injected__stats(const struct injected *t, struct injected_stats *out)
{
	if (t)
		*out = t->st;
	else
		memset(out, 0, sizeof(*out));
}
