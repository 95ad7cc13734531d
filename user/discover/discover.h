/* SPDX-License-Identifier: MIT */
/* Live process discovery: scans existing processes at start, reacts to
 * exec/exit records, attaches TLS probes and emits AR_EV_PROC_INFO. */
#ifndef AR_DISCOVER_DISCOVER_H
#define AR_DISCOVER_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct probes;
struct discover;

/* Identity records are handed to emit (into the pipeline and capture). */
typedef void (*discover_emit_fn)(void *ctx, const void *rec, size_t len);

struct discover *discover__new(struct probes *p, discover_emit_fn emit, void *ctx);
void discover__free(struct discover *d);

/* Bounded capture: who is a target and who calls one (kept by pointer):
 * a connection to a target, or a loopback one for a tick, gets no skip
 * verdict. */
struct target_set;
void discover__set_targets(struct discover *d, struct target_set *ts);

/* With --promote: another LLM host pattern (kept by pointer). */
void discover__add_llm_host(struct discover *d, const char *pattern);

/* Probes the well-known system libssl files and every running process.
 * Returns the number of probed files, or -errno. */
int discover__scan_all(struct discover *d);

/* Handles AR_EV_PROC_EXEC / AR_EV_PROC_EXIT / AR_EV_CONN_OPEN records;
 * ignores the rest. */
void discover__handle(struct discover *d, const void *rec, size_t len);

/* Remembers located TLS functions across restarts in the file at path
 * (discover/plan_cache.h; NULL: off). Returns 0 or -ENOMEM. */
int discover__set_tls_cache(struct discover *d, const char *path);

/* Attaches the probes of binaries located off the event loop since the
 * last call; cheap when there are none. true while some binary is still
 * being located: the caller should call again soon (a new agent's first
 * calls wait on it). */
bool discover__poll(struct discover *d);

/* Periodic work (monotonic now): detaches files unused for a while. */
void discover__tick(struct discover *d, uint64_t now);

size_t discover__attached_files(const struct discover *d);
/* Calls fn with the path of each file carrying OpenSSL probes now. */
void discover__each_tls_file(const struct discover *d,
			     void (*fn)(void *ctx, const char *path), void *ctx);

/* One "discover:" line: files probed per TLS library, and files carrying a
 * TLS library whose plaintext functions were not located. */
void discover__print_stats(const struct discover *d, FILE *f);

#endif
