// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include <agentrace/events.h>

#include "capture/probes.h"
#include "capture/target_set.h"

#define SLOTS 65536

struct target_set {
	struct probes *probes;
	uint32_t pid[SLOTS]; /* 0: empty */
};

struct target_set *target_set__new(struct probes *p)
{
	struct target_set *ts = calloc(1, sizeof(*ts));

	if (ts)
		ts->probes = p;
	return ts;
}

void target_set__free(struct target_set *ts)
{
	free(ts);
}

void target_set__record(struct target_set *ts, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;

	if (ts && len >= sizeof(*h) && h->type == AR_EV_DATA && !(h->flags & AR_F_BOUNDED))
		ts->pid[h->tgid % SLOTS] = h->tgid;
}

bool target_set__has(struct target_set *ts, uint32_t tgid)
{
	if (ts->pid[tgid % SLOTS] == tgid)
		return true;
	if (!probes__is_target(ts->probes, tgid))
		return false;
	ts->pid[tgid % SLOTS] = tgid;
	return true;
}
