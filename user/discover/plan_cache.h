/* SPDX-License-Identifier: MIT */
/* TLS probe plans (discover/tls_lib.h) remembered across daemon restarts,
 * so that a large stripped binary met again is probed at once instead of
 * being located again (100-300 ms, during which a fresh agent's first
 * calls go untraced).
 *
 * A file is matched by (device, inode, size, mtime, ctime): ctime changes
 * on every write and cannot be set back, so an edited file misses. A hit
 * with probes is also checked against the file's bytes: a hash of the 16
 * bytes at every probe offset must equal the one stored when the plan was
 * made, or the entry is dropped and the file located again. Only plans for
 * files carrying a TLS library are kept (at most PLAN_CACHE_MAX, oldest
 * dropped first), and so are refusals: a file whose located functions
 * failed their first calls keeps an entry without probes. The file is rewritten whole (temporary file + rename)
 * at each new plan; a missing, unreadable or corrupt file is an empty
 * cache, never an error. Not thread-safe. */
#ifndef AR_DISCOVER_PLAN_CACHE_H
#define AR_DISCOVER_PLAN_CACHE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "discover/tls_lib.h"

#define PLAN_CACHE_MAX 128
/* Where the daemon keeps it unless --tls-cache says otherwise. */
#define PLAN_CACHE_DEFAULT "/var/cache/agentrace/tls-plans"

struct plan_cache;

/* Loads the cache at path (kept by copy). NULL when out of memory. */
struct plan_cache *plan_cache__open(const char *path);
void plan_cache__free(struct plan_cache *c);

/* The plan of the file open at via (st: its fstat). true and *plan when a
 * stored entry matches the file's identity and its bytes; false (a stale
 * entry is dropped) otherwise. */
bool plan_cache__get(struct plan_cache *c, const char *via, const struct stat *st,
		     struct tls_plan *plan);

/* Stores plan for that file and rewrites the cache file. Plans of files
 * without a TLS library are not stored (returns 0). Returns 0 or -errno
 * (the entry then stays in memory only). */
int plan_cache__put(struct plan_cache *c, const char *via, const struct stat *st,
		    const struct tls_plan *plan);

/* The file (dev, ino) was refused on its first calls (discover/
 * first_calls.h): its entry keeps the library but loses its probes, and
 * its note says why, so that a restarted daemon reports the file without
 * probing it again. Returns 0, -ENOENT (no entry: nothing to remember) or
 * -errno from rewriting the file (the entry is changed in memory). */
int plan_cache__refuse(struct plan_cache *c, dev_t dev, ino_t ino, const char *why);

struct plan_cache_stats {
	unsigned long long hits, misses, stale, saved, save_errors;
};
void plan_cache__stats(const struct plan_cache *c, struct plan_cache_stats *out);

#endif
