/* SPDX-License-Identifier: MIT */
/*
 * A stream_sink that writes each direction of each connection to its own
 * file, for `agentrace analyze FILE --dump-streams DIR`:
 *   DIR/<pid>-<conn_id>-<egress|ingress>.bin   delivered bytes only
 *   DIR/index.tsv                              one line per file
 * Gaps are not written as filler; their sizes go to the index. At most
 * DUMP_MAX_OPEN files are open at once (others are reopened to append).
 * Uses conn_meta.user, so it must be the only sink owning that field.
 */
#ifndef AR_CONN_DUMP_H
#define AR_CONN_DUMP_H

#include "conn/stream.h"

#define DUMP_MAX_OPEN 32
/* Directions dumped at most; later ones are counted and skipped. */
#define DUMP_MAX_FILES 1000000

struct stream_dump;

/* Creates dir (and parents) if needed. Returns NULL with errno set on
 * failure. */
struct stream_dump *stream_dump__new(const char *dir);
/* The sink to hand to conn_table__new(); ctx is d. */
struct stream_sink stream_dump__sink(struct stream_dump *d);
/* Writes DIR/index.tsv, closes every file and frees d (NULL is a no-op).
 * Call after conn_table__free() so every conn has been closed. Returns 0
 * or the first negative errno seen while writing any file. */
int stream_dump__finish(struct stream_dump *d);

#endif
