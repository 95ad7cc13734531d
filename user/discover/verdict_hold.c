// SPDX-License-Identifier: MIT
#include "discover/verdict_hold.h"

uint64_t verdict_hold__push(struct verdict_hold *h, uint64_t conn_id, uint64_t now)
{
	uint64_t out = 0;
	unsigned tail;

	if (h->n == VERDICT_HOLD_MAX) {
		out = h->conn_id[h->head];
		h->head = (h->head + 1) % VERDICT_HOLD_MAX;
		h->n--;
	}
	tail = (h->head + h->n) % VERDICT_HOLD_MAX;
	h->conn_id[tail] = conn_id;
	h->since[tail] = now;
	h->n++;
	return out;
}

bool verdict_hold__pop(struct verdict_hold *h, uint64_t now, uint64_t wait_ns,
		       uint64_t *conn_id)
{
	if (!h->n || now - h->since[h->head] < wait_ns)
		return false;
	*conn_id = h->conn_id[h->head];
	h->head = (h->head + 1) % VERDICT_HOLD_MAX;
	h->n--;
	return true;
}

bool verdict_hold__take(struct verdict_hold *h, uint64_t conn_id)
{
	unsigned i, at, next;

	for (i = 0; i < h->n; i++)
		if (h->conn_id[(h->head + i) % VERDICT_HOLD_MAX] == conn_id)
			break;
	if (i == h->n)
		return false;
	for (; i + 1 < h->n; i++) { /* close the gap */
		at = (h->head + i) % VERDICT_HOLD_MAX;
		next = (at + 1) % VERDICT_HOLD_MAX;
		h->conn_id[at] = h->conn_id[next];
		h->since[at] = h->since[next];
	}
	h->n--;
	return true;
}
