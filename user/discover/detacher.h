/* SPDX-License-Identifier: MIT */
/* Detaches uprobes on a thread of its own. Each uprobe unregistration
 * waits for the kernel (an SRCU grace period per probe: tens of ms for a
 * process's ten probes on the development VM); done on the event loop, it
 * delayed the attachment of the next new target past its first TLS call. */
#ifndef AR_DISCOVER_DETACHER_H
#define AR_DISCOVER_DETACHER_H

struct tls_attach;
struct detacher;

/* Starts the thread. Returns NULL on failure (errno set); callers then
 * detach inline. */
struct detacher *detacher__new(void);

/* Detaches everything still queued, then stops the thread. */
void detacher__free(struct detacher *d);

/* Queues a for detaching (ownership passes). With d NULL, or when the
 * queue is full, detaches at once on the calling thread. */
void detacher__push(struct detacher *d, struct tls_attach *a);

#endif
