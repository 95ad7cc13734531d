/* SPDX-License-Identifier: MIT */
/* Reads records off the BPF ring buffer and hands them on, in order. */
#ifndef AR_CAPTURE_RING_H
#define AR_CAPTURE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* Prints the stats line "ring: polls=N polls_bounded=N": polls_bounded
 * counts the polls that stopped at the bound with records still waiting
 * (the consumer was behind). */
void ring_reader__print_stats(const struct ring_reader *r, FILE *f);

/* Records and bytes one poll delivers at most: under a producer that
 * never pauses, libbpf would otherwise keep consuming for ever and the
 * main loop's tick, health beat and SIGTERM check would never run. */
#define RING_POLL_MAX_RECORDS 8192
#define RING_POLL_MAX_BYTES (8u << 20)

/* What one poll has delivered so far; zeroed at the start of each poll. */
struct ring_budget {
	size_t records, bytes;
};

/* Counts one delivered record of len bytes. Returns true once the poll's
 * budget is spent: the caller must stop delivering (the record counted is
 * already delivered). */
bool ring_budget__charge(struct ring_budget *b, size_t len);

/* The length of the record at data as delivered: a data record's slack
 * past its payload (AR_F_SLACK) cut, anything else len. */
size_t ring__record_len(const void *data, size_t len);

/* bpf/maps.bpf.h's wakeup_shift for a ring of ring_bytes (a power of
 * two): a wakeup per eighth of the ring, never per less than 64 KiB. */
uint32_t ring__wakeup_shift(uint32_t ring_bytes);

#endif
