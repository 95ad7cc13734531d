/* SPDX-License-Identifier: MIT */
/* Attaches TLS uprobes (discover/tls_lib.h plans) once per distinct file
 * (device + inode), keeps
 * track of which processes use each file, and detaches a file when its
 * last user has been gone a while (files attached at start, e.g. the system
 * libssl, stay).
 * Scoped mode (targets chosen by selector or promotion): probes are
 * attached per (target process, file) instead, so that processes which are
 * not targets carry no breakpoint; they are detached once the process
 * exits. The plan is still made once per file. */
#ifndef AR_DISCOVER_TLS_FILES_H
#define AR_DISCOVER_TLS_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "discover/tls_lib.h"

/* Files the table holds at most, probed or known to carry no TLS. */
#define TLS_FILES_MAX 512

struct probes;
struct tls_attach;
struct tls_files;

struct tls_files *tls_files__new(struct probes *p, bool scoped);

/* The calls the table makes outside itself: planning a file
 * (tls_lib__plan) and attaching and detaching its probes
 * (probes__attach_tls, probes__detach_tls). tls_files__new uses those;
 * tests pass stand-ins, so the table runs without BPF or TLS libraries.
 * detach must accept NULL. Scoped mode's detach thread (discover/detacher.h)
 * still calls probes__detach_tls. */
struct tls_files_ops {
	tls_plan_fn plan; /* tls_lib__plan_early: early results only off the loop */
	int (*attach)(struct probes *p, const char *path, const struct tls_plan *plan,
		      int pid, struct tls_attach **out);
	void (*detach)(struct tls_attach *a);
};
/* As tls_files__new, through ops (copied). NULL when out of memory. */
struct tls_files *tls_files__new_ops(struct probes *p, bool scoped,
				     const struct tls_files_ops *ops);
void tls_files__free(struct tls_files *t);

/* Makes sure the file at path (as the daemon sees it, e.g.
 * /proc/PID/root/usr/lib/libssl.so.3) is probed, recording pid as a user
 * (pid 0 pins the file; scoped mode ignores pid 0). Returns 1 when probes
 * were attached now, 0 when the file was already probed (for pid, in scoped
 * mode) or carries no TLS code we can probe (such a file is reported once), or
 * is being located on the locator thread (tls_files__locate_async),
 * or -errno (-ENOSPC: too many pairs). */
int tls_files__add(struct tls_files *t, uint32_t pid, const char *path);

/* Remembers plans across restarts in the file at path (discover/
 * plan_cache.h; NULL: off). Returns 0 or -ENOMEM (then off). */
int tls_files__set_cache(struct tls_files *t, const char *path);

/* From now on a file met for the first time, and not in the cache, is
 * located on a thread of its own: tls_files__add returns 0 at once and
 * tls_files__poll attaches its probes (for every process, or inside the
 * targets that met it meanwhile) when it is done; a file carrying two
 * libraries gets the first one's as soon as it is located, and the
 * other's beside them at the end. Returns 0 or -errno
 * (files are then located on the caller's thread, as before). */
int tls_files__locate_async(struct tls_files *t);
/* Attaches the probes of files located since the last call. Returns how
 * many attachments were made. Call it often (the event loop does, after
 * every ring poll): a new agent's first calls wait on it. */
int tls_files__poll(struct tls_files *t);
/* Files being located now (or located and not yet polled). */
bool tls_files__locating(const struct tls_files *t);

/* Judges a data record (discover/first_calls.h): the first calls through
 * functions located by evidence must carry plaintext, or the file's probes
 * are detached and it is reported. Only records of a process using one
 * probed file count; cheap when no file is on probation. */
void tls_files__first_call(struct tls_files *t, const void *rec, size_t len);

/* Scoped mode: pid holds probes on some file. */
bool tls_files__pid_probed(const struct tls_files *t, uint32_t pid);

/* pid has exited at monotonic time now: release its files. */
void tls_files__proc_exit(struct tls_files *t, uint32_t pid, uint64_t now);
/* pid exec'd: in shared mode it no longer uses its old image's files (the
 * scan of its new image adds them back). */
void tls_files__proc_exec(struct tls_files *t, uint32_t pid, uint64_t now);

/* Detaches files nobody has used for grace_ns. Detaching is slow (each
 * uprobe unregister waits for the kernel), and short-lived processes often
 * reuse the same file soon, so it happens here, off the event path. */
void tls_files__expire(struct tls_files *t, uint64_t now, uint64_t grace_ns);

struct tls_files_stats {
	uint64_t probed[TLS_LIB_MAX]; /* files attached, per enum tls_lib_id */
	uint64_t unlocated;  /* files carrying TLS we could not probe (reported) */
	uint64_t evicted;    /* idle probed files detached early: the table was full */
	uint64_t located_async; /* files located on the locator thread */
	uint64_t cache_hits; /* files whose plan came from the plan cache */
	uint64_t refused;    /* located files detached: first calls implausible */
	uint64_t odd_calls;  /* AR_EV_TLS_ODD: calls whose data was not emitted */
};
void tls_files__stats(const struct tls_files *t, struct tls_files_stats *out);
/* Prints the table's part of the "discover:" stats line (no prefix, no
 * newline): " tls_files_attached=N tls_probed_LIB=N ... tls_unlocated=N
 * tls_files_evicted=N tls_located_async=N tls_plan_cache_hits=N tls_refused=N
 * tls_odd_calls=N".
 * The self-metrics are parsed from that line. */
void tls_files__print_stats(const struct tls_files *t, FILE *f);

/* Attachments currently held (files, or (pid, file) pairs when scoped). */
size_t tls_files__attached(const struct tls_files *t);
/* Calls fn with the path of each attachment: each probed file, and in
 * scoped mode each (target process, file). */
void tls_files__each_attached(const struct tls_files *t,
			      void (*fn)(void *ctx, const char *path), void *ctx);

#endif
