/* SPDX-License-Identifier: MIT */
/* The file table's insides, shared by tls_files.c (adding files, attaching,
 * lifetimes) and tls_files_located.c (files the locator thread finished,
 * and the probation of their first calls). Not for other modules. */
#ifndef AR_DISCOVER_TLS_FILES_INT_H
#define AR_DISCOVER_TLS_FILES_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "discover/first_calls.h"
#include "discover/tls_files.h"
#include "discover/tls_lib.h"

struct detacher;
struct locator;
struct plan_cache;

#define MAX_FILES TLS_FILES_MAX
#define MAX_USERS 16384   /* (pid, file) pairs */

struct tls_file {
	dev_t dev;
	ino_t ino;
	struct tls_attach *attach; /* shared mode; NULL: not probed now */
	struct tls_attach *more;   /* shared mode: the probes added to an early plan's */
	struct tls_plan *plan;     /* resolved once per file; NULL: none */
	size_t early_n;            /* probes of the early plan attached while the file
				    * was still being located (tls_lib__plan_early) */
	bool resolved;             /* plan and has_ssl are known */
	bool has_ssl;              /* a plan with probes exists */
	bool reported;             /* an unprobed TLS library was reported */
	bool pinned;
	bool locating;             /* on the locator thread now */
	uint32_t who;              /* the process that met it first, while located off
				    * the loop: named in its report if gone by then */
	char who_comm[16];
	struct first_calls *judge; /* probes by evidence, first calls not judged yet */
	uint8_t n_waiting;
	uint32_t waiting[8];       /* scoped mode: targets to probe once located */
	uint32_t users;
	uint64_t last_use;         /* for replacing non-OpenSSL entries */
	uint64_t idle_since;       /* monotonic ns the last user left; 0 = in use */
	char path[128];            /* as first attached, for the detach log */
};

struct file_user {
	uint32_t pid;
	uint32_t file;
	struct tls_attach *attach; /* scoped mode: probes inside pid only */
	struct tls_attach *more;   /* scoped mode: those added to an early plan's */
	bool gone;                 /* scoped mode: pid exited, detach pending */
};

struct tls_files {
	struct probes *probes;
	struct tls_files_ops ops;
	bool scoped;
	struct detacher *detacher; /* scoped mode: detaches off the event loop */
	struct locator *locator;   /* NULL: files are located on the caller's thread */
	struct plan_cache *cache;  /* NULL: plans are not remembered across restarts */
	size_t on_probation;       /* files whose first calls are being judged */
	struct tls_file files[MAX_FILES];
	size_t n_files;
	struct file_user users[MAX_USERS];
	size_t n_users;
	uint64_t tick;
	struct tls_files_stats stats;
};

uint64_t tls_files__now_ns(void);
/* Detaches a file's (or a pair's) probes: those attached at once and
 * those added to an early plan's. */
void tls_files__detach(struct tls_files *t, struct tls_attach **a, struct tls_attach **more);
/* A file's plan is known (n: plan's return): keeps it when it has probes,
 * reports a TLS library it has none for, and remembers it in the cache
 * when st is given (a fresh plan). Takes plan. Returns f->has_ssl. */
bool tls_files__resolved(struct tls_files *t, struct tls_file *f, uint32_t pid, const char *path,
			 struct tls_plan *plan, int n, long ms, const char *via,
			 const struct stat *st);
/* Scoped mode: probes on files[idx] inside pid only, once per pair. */
int tls_files__attach_pid(struct tls_files *t, uint32_t pid, uint32_t idx, const char *path,
			  const char *via);
/* Shared mode: probes on files[idx] for every process. */
int tls_files__attach_shared(struct tls_files *t, uint32_t idx, const char *path,
			     const char *via);

#endif
