/* SPDX-License-Identifier: MIT */
/* Skip verdicts held back a moment (issue #13): a connection to a
 * loopback address may go to a target whose accept has not been seen
 * yet; its caller must then keep its bounded capture (it gets a CLIENT
 * span), so the verdict waits for the next tick. Fixed memory: when full,
 * the oldest is released at once. Not thread-safe. The exec hold
 * (discover/exec_hold.c) keeps the pids it stopped in one too. */
#ifndef AR_DISCOVER_VERDICT_HOLD_H
#define AR_DISCOVER_VERDICT_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#define VERDICT_HOLD_MAX 256

struct verdict_hold {
	uint64_t conn_id[VERDICT_HOLD_MAX];
	uint64_t since[VERDICT_HOLD_MAX]; /* monotonic ns */
	unsigned head, n;
};

/* Holds conn_id from now. When the hold is full, returns the oldest held
 * conn_id (to be decided at once) and 0 otherwise. */
uint64_t verdict_hold__push(struct verdict_hold *h, uint64_t conn_id, uint64_t now);

/* Takes the oldest conn_id held since before now - wait_ns: true with
 * *conn_id set, false when none is due. */
bool verdict_hold__pop(struct verdict_hold *h, uint64_t now, uint64_t wait_ns,
		       uint64_t *conn_id);

/* Takes conn_id out of the hold before it is due: true when it was held
 * (the others keep their order), false and nothing changed otherwise. */
bool verdict_hold__take(struct verdict_hold *h, uint64_t conn_id);

#endif
