/* SPDX-License-Identifier: MIT */
/*
 * The connection table: turns ring-buffer records into one ordered byte
 * stream per direction of each connection, keyed by hdr.conn_id, and
 * hands them to a struct stream_sink. Chunks that arrive ahead of the
 * expected sequence are held (bounded) until the hole fills; when the
 * bound is hit, the hole is declared a gap. Bounded by max_conns with LRU
 * eviction. Not thread-safe. Sink callbacks must not call back into the
 * table.
 */
#ifndef AR_CONN_TABLE_H
#define AR_CONN_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "conn/stream.h"

#define CONN_TABLE_DEF_MAX_CONNS 16384
#define CONN_TABLE_DEF_MAX_PENDING 8
#define CONN_TABLE_DEF_MAX_PENDING_BYTES (256 * 1024)
#define CONN_TABLE_DEF_IDLE_NS (10ull * 60 * 1000000000ull)

/* Zero fields take the defaults above. */
struct conn_table_cfg {
	size_t max_conns;         /* live connections; LRU eviction beyond */
	size_t max_pending;       /* out-of-order chunks held per direction */
	size_t max_pending_bytes; /* out-of-order bytes held per direction */
	uint64_t idle_ns;         /* conn_table__expire() closes conns idle this long */
};

struct conn_table_stats {
	uint64_t live;             /* connections in the table now */
	uint64_t opened;           /* on_open calls */
	uint64_t closed;           /* closed by AR_EV_CONN_CLOSE */
	uint64_t evicted;          /* closed to make room (LRU) */
	uint64_t expired;          /* closed by conn_table__expire() */
	uint64_t gaps;             /* on_gap calls */
	uint64_t gap_bytes;        /* bytes reported missing */
	uint64_t reordered;        /* chunks that arrived ahead and were held */
	uint64_t overlaps_trimmed; /* chunks partly or wholly delivered already */
	uint64_t malformed;        /* records rejected with -EINVAL */
	uint64_t held_bytes;       /* bytes of early chunks held now (a gauge) */
	uint64_t tls_streams;      /* SSL* streams ended that carried data */
	uint64_t tls_no_socket;    /* ... never linked to their socket (no 4-tuple) */
};

struct conn_table;

/* cfg NULL = defaults. The sink is copied. Returns NULL on -ENOMEM. */
struct conn_table *conn_table__new(const struct conn_table_cfg *cfg,
				   const struct stream_sink *sink);
/* Flushes held chunks and calls on_close for every live conn, then
 * frees. NULL is a no-op. */
void conn_table__free(struct conn_table *t);
/* Feeds one record of any type; types other than data/open/close are
 * ignored. Returns 0; -EINVAL for a malformed record (counted, table
 * unchanged); or -ENOMEM when a new conn or a held copy of an
 * out-of-order chunk cannot be allocated (the bytes are dropped and show
 * up as a gap later). */
int conn_table__handle(struct conn_table *t, const void *rec, size_t len);
/* Closes (on_close, no tail gap) conns whose last event is at least
 * idle_ns before now_mono_ns. Cost is proportional to what expires. */
void conn_table__expire(struct conn_table *t, uint64_t now_mono_ns);
void conn_table__stats(const struct conn_table *t, struct conn_table_stats *out);
/* The live conn with this id, or NULL. Valid until the next call that
 * can close it. */
const struct conn_meta *conn_table__lookup(const struct conn_table *t, uint64_t conn_id);

#endif
