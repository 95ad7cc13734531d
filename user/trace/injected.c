// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "trace/injected.h"

struct injected {
	struct ar_inject_event v[INJECTED_CAP];
	bool used[INJECTED_CAP];
	size_t next;
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

/* Linear: the table is small, and searched once per outbound request
 * only while injection is on (no record: a scan of used[] flags). */
bool injected__take(struct injected *t, uint32_t tgid, uint16_t sport, uint16_t dport,
		    uint32_t req_index, struct ar_inject_event *out)
{
	if (!t || t->st.added == t->st.matched + t->st.overwritten)
		return false;
	for (size_t i = 0; i < INJECTED_CAP; i++) {
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
