// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/probes.h"
#include "common/log.h"
#include "agentrace/events.h"
#include "discover/detacher.h"
#include "discover/first_calls.h"
#include "discover/locator.h"
#include "discover/plan_cache.h"
#include "discover/proc_info.h"
#include "discover/tls_files.h"
#include "discover/tls_lib.h"

#include "discover/tls_files_int.h"

struct tls_files *tls_files__new(struct probes *p, bool scoped)
{
	static const struct tls_files_ops real = {
		.plan = tls_lib__plan_early,
		.attach = probes__attach_tls,
		.detach = probes__detach_tls,
	};

	return tls_files__new_ops(p, scoped, &real);
}

struct tls_files *tls_files__new_ops(struct probes *p, bool scoped,
				     const struct tls_files_ops *ops)
{
	struct tls_files *t = calloc(1, sizeof(*t));

	if (t) {
		t->probes = p;
		t->ops = *ops;
		t->scoped = scoped;
		if (scoped && !(t->detacher = detacher__new()))
			warn("no detach thread (%s): probes of exited targets are detached on the "
			     "event loop", strerror(errno));
	}
	return t;
}

/* Detaches a file's (or a pair's) probes: those attached at once and
 * those added to an early plan's. */
void tls_files__detach(struct tls_files *t, struct tls_attach **a, struct tls_attach **more)
{
	t->ops.detach(*a);
	t->ops.detach(*more);
	*a = *more = NULL;
}

void tls_files__free(struct tls_files *t)
{
	if (!t)
		return;
	detacher__free(t->detacher);
	locator__free(t->locator);
	plan_cache__free(t->cache);
	for (size_t i = 0; i < t->n_files; i++) {
		tls_files__detach(t, &t->files[i].attach, &t->files[i].more);
		free(t->files[i].plan);
		first_calls__free(t->files[i].judge);
	}
	for (size_t i = 0; i < t->n_users; i++)
		tls_files__detach(t, &t->users[i].attach, &t->users[i].more);
	free(t);
}

size_t tls_files__attached(const struct tls_files *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_files; i++)
		n += t->files[i].attach != NULL;
	for (size_t i = 0; i < t->n_users; i++)
		n += t->users[i].attach != NULL;
	return n;
}

void tls_files__each_attached(const struct tls_files *t,
			      void (*fn)(void *ctx, const char *path), void *ctx)
{
	/* Scoped mode: a file is probed while some target holds probes on it. */
	for (size_t i = 0; i < t->n_files; i++)
		if (t->files[i].attach || t->files[i].users)
			fn(ctx, t->files[i].path);
	/* scoped mode: one attachment per (target process, file) */
	for (size_t i = 0; i < t->n_users; i++)
		if (t->users[i].attach)
			fn(ctx, t->files[t->users[i].file].path);
}

/* Slot for a new file: a free one, else the least recently used file
 * without probes (a negative-cache entry), else the probed file idle the
 * longest (no user left, not pinned), detached now rather than after its
 * grace: 512 distinct libssl copies must not lock later pods out.
 * -ENOSPC when every file is in use. */
static int file_slot(struct tls_files *t)
{
	int victim = -1, idle = -1;

	if (t->n_files < MAX_FILES)
		return t->n_files++;
	for (size_t i = 0; i < t->n_files; i++) {
		const struct tls_file *f = &t->files[i];

		if (f->users || f->pinned || f->locating)
			continue;
		if (f->attach) {
			if (f->idle_since && (idle < 0 || f->idle_since < t->files[idle].idle_since))
				idle = i;
			continue;
		}
		if (victim < 0 || f->last_use < t->files[victim].last_use)
			victim = i;
	}
	if (victim < 0 && idle >= 0) {
		info("detaching TLS probes from idle %s: the file table is full", t->files[idle].path);
		tls_files__detach(t, &t->files[idle].attach, &t->files[idle].more);
		t->stats.evicted++;
		victim = idle;
	}
	return victim < 0 ? -ENOSPC : victim;
}

static void add_user(struct tls_files *t, uint32_t pid, uint32_t idx)
{
	struct tls_file *f = &t->files[idx];

	if (!pid) {
		f->pinned = true;
		return;
	}
	for (size_t i = 0; i < t->n_users; i++)
		if (t->users[i].pid == pid && t->users[i].file == idx)
			return;
	if (t->n_users == MAX_USERS) {
		/* Losing track only delays a detach; never detach early. */
		f->pinned = true;
		return;
	}
	t->users[t->n_users++] = (struct file_user){ .pid = pid, .file = idx };
	f->users++;
	f->idle_since = 0;
}

/* Once per file: a TLS library we cannot probe is said out loud. */
static void report_unlocated(struct tls_files *t, struct tls_file *f, uint32_t pid,
			     const char *path, struct tls_plan *plan, uint32_t libs,
			     const char *why)
{
	char what[160], comm[32] = "?";
	uint32_t all = plan->detected;

	if (f->reported)
		return;
	f->reported = true;
	plan->detected &= libs;
	tls_plan__describe(plan, what, sizeof(what));
	plan->detected = all;
	if (!pid)
		pid = f->who; /* located off the loop after its users left */
	if (pid && proc_info__comm(pid, comm, sizeof(comm)) && pid == f->who)
		snprintf(comm, sizeof(comm), "%s", f->who_comm);
	t->stats.unlocated++;
	warn("process %u (%s): TLS library %s found in %s, plaintext functions not located: %s",
	     pid, comm, what, path, why);
}

uint64_t tls_files__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A file's plan is known (n: plan's return): keeps it when it has probes,
 * reports a TLS library it has none for, and remembers it in the cache
 * when st is given (a fresh plan). Takes plan. Returns f->has_ssl. */
bool tls_files__resolved(struct tls_files *t, struct tls_file *f, uint32_t pid, const char *path,
		     struct tls_plan *plan, int n, long ms, const char *via, const struct stat *st)
{
	f->resolved = true;
	if (ms >= 20) /* calls made meanwhile by a new process are not seen */
		info("locating the TLS functions of %s took %ld ms%s", path, ms,
		     t->locator ? " (off the event loop)" : "");
	if (n >= 0 && st && t->cache)
		plan_cache__put(t->cache, via, st, plan);
	if (n <= 0) {
		if (n == 0 && plan->lib != TLS_LIB_NONE)
			report_unlocated(t, f, pid, path, plan, plan->detected, plan->note);
		free(plan);
		return false;
	}
	f->plan = plan;
	f->has_ssl = true;
	for (int lib = 0; lib < TLS_LIB_MAX; lib++)
		if (tls_plan__located(plan) & (1u << lib))
			t->stats.probed[lib]++;
	/* functions found by evidence, not by name: judged on their first calls */
	if ((plan->lib == TLS_LIB_BORINGSSL || plan->lib == TLS_LIB_OPENSSL_STATIC ||
	     (tls_plan__located(plan) & (1u << TLS_LIB_RUSTLS))) && !f->judge) {
		f->judge = first_calls__new();
		if (f->judge)
			t->on_probation++;
		else
			warn("%s: out of memory: its located TLS functions are not judged", path);
	}
	/* Codex carries rustls beside OpenSSL and picks one at run time. */
	if (plan->detected & ~tls_plan__located(plan))
		report_unlocated(t, f, pid, path, plan, plan->detected & ~tls_plan__located(plan),
				 plan->note[0] ? plan->note :
				 "only the other library is probed; calls made through this one "
				 "are not traced");
	return true;
}

/* Plans the probes of a file met for the first time from the cache.
 * false when the cache does not know it (or is off). */
static bool from_cache(struct tls_files *t, struct tls_file *f, uint32_t pid, const char *path,
		       const char *via, const struct stat *st)
{
	struct tls_plan *plan;

	if (!t->cache || !st || !(plan = malloc(sizeof(*plan))))
		return false;
	if (!plan_cache__get(t->cache, via, st, plan)) {
		free(plan);
		return false;
	}
	t->stats.cache_hits++;
	tls_files__resolved(t, f, pid, path, plan, plan->n, 0, NULL, NULL);
	return true;
}

/* Plans the probes of files[idx] once, through the TLS library
 * descriptions (discover/tls_lib.h), reading the file through via. */
static bool resolve(struct tls_files *t, struct tls_file *f, uint32_t pid, const char *path,
		    const char *via, const struct stat *st)
{
	struct tls_plan *plan;
	struct timespec t0, t1;
	int n;

	if (f->resolved)
		return f->has_ssl;
	plan = malloc(sizeof(*plan));
	if (!plan)
		return false; /* tried again on the next sighting */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = t->ops.plan(via, plan, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return tls_files__resolved(t, f, pid, path, plan, n,
			(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, via, st);
}

void tls_files__stats(const struct tls_files *t, struct tls_files_stats *out)
{
	*out = t->stats;
}

void tls_files__print_stats(const struct tls_files *t, FILE *f)
{
	static const char *const key[TLS_LIB_MAX] = {
		[TLS_LIB_OPENSSL] = "openssl", [TLS_LIB_GO] = "go",
		[TLS_LIB_BORINGSSL] = "boringssl", [TLS_LIB_OPENSSL_STATIC] = "openssl_static",
		[TLS_LIB_RUSTLS] = "rustls", [TLS_LIB_AEAD] = "aead",
	};

	fprintf(f, " tls_files_attached=%zu", tls_files__attached(t));
	for (int i = 1; i < TLS_LIB_MAX; i++)
		fprintf(f, " tls_probed_%s=%llu", key[i], (unsigned long long)t->stats.probed[i]);
	fprintf(f, " tls_unlocated=%llu tls_files_evicted=%llu tls_located_async=%llu"
		" tls_plan_cache_hits=%llu tls_refused=%llu tls_odd_calls=%llu",
		(unsigned long long)t->stats.unlocated, (unsigned long long)t->stats.evicted,
		(unsigned long long)t->stats.located_async,
		(unsigned long long)t->stats.cache_hits, (unsigned long long)t->stats.refused,
		(unsigned long long)t->stats.odd_calls);
}

/* Scoped mode: probes on files[idx] inside pid only, once per pair. */
int tls_files__attach_pid(struct tls_files *t, uint32_t pid, uint32_t idx, const char *path,
		      const char *via)
{
	struct timespec t0, t1, c0, c1;
	struct tls_attach *a;
	char what[160];
	int err;

	if (!pid)
		return 0; /* nothing is probed for everyone in scoped mode */
	for (size_t i = 0; i < t->n_users; i++)
		if (t->users[i].pid == pid && t->users[i].file == idx && !t->users[i].gone)
			return 0;
	if (t->n_users == MAX_USERS)
		return -ENOSPC;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	err = t->ops.attach(t->probes, via, t->files[idx].plan, pid, &a);
	if (err)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	t->users[t->n_users++] = (struct file_user){ .pid = pid, .file = idx, .attach = a };
	t->files[idx].users++;
	if (path != t->files[idx].path)
		snprintf(t->files[idx].path, sizeof(t->files[idx].path), "%s", path);
	tls_plan__describe(t->files[idx].plan, what, sizeof(what));
	info("attached %s probes to %s (dev %lu inode %lu) inside pid %u only, in %ld us (%ld us CPU)", what,
	     path, (unsigned long)t->files[idx].dev, (unsigned long)t->files[idx].ino, pid,
	     (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000),
	     (long)((c1.tv_sec - c0.tv_sec) * 1000000 + (c1.tv_nsec - c0.tv_nsec) / 1000));
	return 1;
}

/* Shared mode: probes on files[idx] for every process. */
int tls_files__attach_shared(struct tls_files *t, uint32_t idx, const char *path, const char *via)
{
	struct tls_file *f = &t->files[idx];
	char what[160];
	int err;

	err = t->ops.attach(t->probes, via, f->plan, -1, &f->attach);
	if (err) {
		f->attach = NULL;
		return err;
	}
	if (path != f->path)
		snprintf(f->path, sizeof(f->path), "%s", path);
	tls_plan__describe(f->plan, what, sizeof(what));
	info("attached %s probes to %s (dev %lu inode %lu, %zu uprobes) for every process",
	     what, path, (unsigned long)f->dev, (unsigned long)f->ino, f->plan->n);
	return 1;
}

/* pid waits for files[idx] to be located: a user of it (shared mode), or
 * a target to probe inside once it is (scoped mode; at most 8 per file,
 * later ones are probed at their next sighting). */
static void await_plan(struct tls_files *t, uint32_t pid, uint32_t idx)
{
	struct tls_file *f = &t->files[idx];

	if (!t->scoped) {
		add_user(t, pid, idx);
		return;
	}
	for (size_t i = 0; i < f->n_waiting; i++)
		if (f->waiting[i] == pid)
			return;
	if (pid && f->n_waiting < sizeof(f->waiting) / sizeof(f->waiting[0]))
		f->waiting[f->n_waiting++] = pid;
}

/* Hands files[idx] (open as fd) to the locator thread. Returns 0 when it
 * is being located there (pid waits), 1 when it must be located here (no
 * locator, or its queue is full). */
static int locate_later(struct tls_files *t, uint32_t pid, uint32_t idx, const char *path, int fd)
{
	struct tls_file *f = &t->files[idx];
	int dfd;

	if (!f->locating) {
		if (!t->locator || fd < 0)
			return 1;
		/* the locator's own descriptor: ours closes when add returns */
		dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dfd < 0)
			return 1;
		if (locator__push(t->locator, idx, dfd)) {
			close(dfd);
			return 1;
		}
		f->locating = true;
		snprintf(f->path, sizeof(f->path), "%s", path);
		f->who = pid;
		if (!pid || proc_info__comm(pid, f->who_comm, sizeof(f->who_comm)))
			snprintf(f->who_comm, sizeof(f->who_comm), "?");
	}
	await_plan(t, pid, idx);
	return 0;
}

/* Plans the probes of files[idx] and attaches them. path names the file
 * in logs; via is how it is opened (see tls_files__add), fd the same file
 * (-1: none), st its fstat. */
static int attach_file(struct tls_files *t, uint32_t pid, uint32_t idx, const char *path,
		       const char *via, const struct stat *st, int fd)
{
	struct tls_file *f = &t->files[idx];
	int err;

	if (f->locating)
		return locate_later(t, pid, idx, path, fd);
	if (!f->resolved && !from_cache(t, f, pid, path, via, st) &&
	    locate_later(t, pid, idx, path, fd) == 0)
		return 0;
	if (!resolve(t, f, pid, path, via, st))
		return 0;
	if (t->scoped)
		return tls_files__attach_pid(t, pid, idx, path, via);
	err = tls_files__attach_shared(t, idx, path, via);
	if (err > 0)
		add_user(t, pid, idx);
	return err;
}

static int add_open(struct tls_files *t, uint32_t pid, const char *path, const char *via,
		    const struct stat *st, int fd)
{
	struct tls_file *f;
	int idx;

	t->tick++;
	for (size_t i = 0; i < t->n_files; i++) {
		f = &t->files[i];
		if (f->dev == st->st_dev && f->ino == st->st_ino) {
			f->last_use = t->tick;
			if (!f->has_ssl && !f->locating)
				return 0;
			if (!f->attach || t->scoped)
				return attach_file(t, pid, i, path, via, st, fd);
			add_user(t, pid, i);
			return 0;
		}
	}
	idx = file_slot(t);
	if (idx < 0)
		return idx;
	f = &t->files[idx];
	free(f->plan); /* a reused negative-cache slot has none; be safe */
	if (f->judge)
		t->on_probation--;
	first_calls__free(f->judge);
	memset(f, 0, sizeof(*f));
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->last_use = t->tick;
	return attach_file(t, pid, idx, path, via, st, fd);
}

/* The file is opened once and then read and probed through
 * /proc/self/fd/N: /proc/PID/root/... vanishes when PID exits, and a short
 * agent run can end while its 300 MB executable is still being located;
 * the open descriptor keeps the file reachable for the probes that the
 * next process using it needs. */
int tls_files__add(struct tls_files *t, uint32_t pid, const char *path)
{
	char via[40];
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	snprintf(via, sizeof(via), "/proc/self/fd/%d", fd);
	err = add_open(t, pid, path, via, &st, fd);
cleanup:
	close(fd);
	return err;
}

int tls_files__set_cache(struct tls_files *t, const char *path)
{
	plan_cache__free(t->cache);
	t->cache = NULL;
	/* plans made with the wrappers knob are not the file's plan: neither
	 * reused nor kept */
	if (!path || tls_openssl__wrappers_only())
		return 0;
	t->cache = plan_cache__open(path);
	return t->cache ? 0 : -ENOMEM;
}

int tls_files__locate_async(struct tls_files *t)
{
	if (t->locator)
		return 0;
	t->locator = locator__new(t->ops.plan);
	return t->locator ? 0 : -errno;
}

void tls_files__proc_exit(struct tls_files *t, uint32_t pid, uint64_t now)
{
	for (size_t i = 0; i < t->n_users;) {
		struct tls_file *f;

		if (t->users[i].pid != pid) {
			i++;
			continue;
		}
		f = &t->files[t->users[i].file];
		if (t->scoped) {
			/* The detach waits for the kernel: tls_files__expire
			 * does it off the event path. */
			t->users[i++].gone = true;
			continue;
		}
		t->users[i] = t->users[--t->n_users];
		if (--f->users == 0)
			f->idle_since = now;
	}
}

void tls_files__proc_exec(struct tls_files *t, uint32_t pid, uint64_t now)
{
	/* Shared mode: the old image's files are no longer this pid's (a node
	 * launcher's forked child that execs a static agent would otherwise
	 * use two files, and its first calls would never be judged). Scoped
	 * links die with the old mm and are reaped at exit. */
	if (!t->scoped)
		tls_files__proc_exit(t, pid, now);
}

bool tls_files__pid_probed(const struct tls_files *t, uint32_t pid)
{
	for (size_t i = 0; i < t->n_users; i++)
		if (t->users[i].pid == pid && !t->users[i].gone)
			return true;
	return false;
}

/* Scoped mode: detaches the probes of processes that exited. The exit
 * record only comes for a process that is still a target when it exits; one
 * that exec'd into a non-target sends none, and is found gone here once it
 * has exited (until then its probes stay, and its programs skip it). */
static void reap_gone(struct tls_files *t)
{
	struct tls_file *f;

	for (size_t i = 0; i < t->n_users;) {
		if (!t->users[i].gone && (kill(t->users[i].pid, 0) == 0 || errno != ESRCH)) {
			i++;
			continue;
		}
		f = &t->files[t->users[i].file];
		info("detaching TLS probes from %s (dev %lu inode %lu) inside pid %u: it exited",
		     f->path, (unsigned long)f->dev, (unsigned long)f->ino, t->users[i].pid);
		detacher__push(t->detacher, t->users[i].attach);
		if (t->users[i].more)
			detacher__push(t->detacher, t->users[i].more);
		f->users--;
		t->users[i] = t->users[--t->n_users];
	}
}

void tls_files__expire(struct tls_files *t, uint64_t now, uint64_t grace_ns)
{
	if (t->scoped) {
		reap_gone(t);
		return;
	}
	for (size_t i = 0; i < t->n_files; i++) {
		struct tls_file *f = &t->files[i];

		if (!f->attach || f->pinned || f->users || !f->idle_since ||
		    now - f->idle_since < grace_ns)
			continue;
		info("detaching TLS probes from %s (dev %lu inode %lu): unused for %llu s",
		     f->path, (unsigned long)f->dev, (unsigned long)f->ino,
		     (unsigned long long)((now - f->idle_since) / 1000000000ull));
		tls_files__detach(t, &f->attach, &f->more);
		f->idle_since = 0;
	}
}
