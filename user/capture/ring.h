/* SPDX-License-Identifier: MIT */
/* Reads records off the BPF ring buffer and hands them on, in order. */
#ifndef AR_CAPTURE_RING_H
#define AR_CAPTURE_RING_H

#include <stddef.h>

typedef void (*ring_record_fn)(void *ctx, const void *rec, size_t len);

struct ring_reader;

/* Returns 0 and *out, or -errno. */
int ring_reader__new(int map_fd, ring_record_fn fn, void *ctx, struct ring_reader **out);
void ring_reader__free(struct ring_reader *r);

/* Waits up to timeout_ms and delivers what is ready, at most a bounded
 * batch (8192 records or 8 MiB), so a caller's loop always gets control
 * back. Returns the number of records, 0 on timeout or -EINTR (treat as a
 * clean wake-up), or -errno. */
int ring_reader__poll(struct ring_reader *r, int timeout_ms);

#endif
