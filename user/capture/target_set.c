// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include <agentrace/events.h>

#include "capture/probes.h"
#include "capture/served.h"
#include "capture/target_set.h"

#define SLOTS 65536

struct target_set {
	struct probes *probes; /* NULL in analyze */
	struct served *served;
	uint32_t pid[SLOTS]; /* 0: empty */
};

struct target_set *target_set__new(struct probes *p)
{
	struct target_set *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->probes = p;
	ts->served = served__new();
	if (!ts->served) {
		free(ts);
		return NULL;
	}
	return ts;
}

void target_set__free(struct target_set *ts)
{
	if (ts)
		served__free(ts->served);
	free(ts);
}

void target_set__record(struct target_set *ts, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;

	if (!ts || len < sizeof(*h))
		return;
	if ((h->type == AR_EV_DATA && !(h->flags & AR_F_BOUNDED)) || h->type == AR_EV_TARGET)
		ts->pid[h->tgid % SLOTS] = h->tgid;
	else if (h->type == AR_EV_CONN_OPEN)
		served__record(ts->served, rec, len);
}

bool target_set__has(struct target_set *ts, uint32_t tgid)
{
	if (ts->pid[tgid % SLOTS] == tgid)
		return true;
	if (!ts->probes || !probes__is_target(ts->probes, tgid))
		return false;
	ts->pid[tgid % SLOTS] = tgid;
	return true;
}

bool target_set__calls_target(struct target_set *ts, uint64_t conn_id)
{
	uint32_t server = served__server_of(ts->served, conn_id);

	return server && target_set__has(ts, server);
}

bool target_set__calls_local(struct target_set *ts, uint64_t conn_id)
{
	return served__is_local(ts->served, conn_id);
}

uint32_t target_set__acceptor_of(struct target_set *ts, uint64_t conn_id)
{
	return served__acceptor_of(ts->served, conn_id);
}

uint64_t target_set__client_of(struct target_set *ts, const void *rec, size_t len)
{
	return served__client_of(ts->served, rec, len);
}
