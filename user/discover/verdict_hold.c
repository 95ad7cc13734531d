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
