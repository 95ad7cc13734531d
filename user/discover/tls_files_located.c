// SPDX-License-Identifier: MIT
/* Files the locator thread finished (discover/locator.h): their probes go
 * in, early library first, and the probation of their first calls
 * (discover/first_calls.h) may refuse them. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentrace/events.h"
#include "common/log.h"
#include "discover/locator.h"
#include "discover/plan_cache.h"
#include "discover/proc_info.h"
#include "discover/tls_files_int.h"

/* A user of files[idx] to name in a report (0: none left). */
static uint32_t some_user(const struct tls_files *t, uint32_t idx)
{
	const struct tls_file *f = &t->files[idx];

	if (t->scoped)
		return f->n_waiting ? f->waiting[0] : 0;
	for (size_t i = 0; i < t->n_users; i++)
		if (t->users[i].file == idx)
			return t->users[i].pid;
	return 0;
}

/* Scoped mode: probes on files[idx] inside each waiting target still
 * alive. Returns how many were attached. */
static int attach_waiting(struct tls_files *t, uint32_t idx, const char *via)
{
	struct tls_file *f = &t->files[idx];
	int n = 0;

	for (size_t i = 0; i < f->n_waiting; i++)
		if (kill(f->waiting[i], 0) == 0 || errno != ESRCH)
			n += tls_files__attach_pid(t, f->waiting[i], idx, f->path, via) > 0;
	return n;
}

/* The first library of a file still being located (Codex: OpenSSL, while
 * rustls is): its probes go in now, for every process or inside the
 * waiting targets, and the others are added when the file is located.
 * Takes j->plan. Returns how many attachments were made. */
static int located_early(struct tls_files *t, struct locate_job *j)
{
	struct tls_file *f = &t->files[j->idx];
	char via[40];
	int n;

	if (!f->locating || f->plan || j->n <= 0) {
		free(j->plan);
		return 0;
	}
	snprintf(via, sizeof(via), "/proc/self/fd/%d", j->fd);
	j->plan->detected = tls_plan__located(j->plan); /* the log names what is attached */
	f->plan = j->plan;
	f->early_n = j->plan->n;
	n = t->scoped ? attach_waiting(t, j->idx, via) : tls_files__attach_shared(t, j->idx, f->path, via) > 0;
	if (!n)
		f->early_n = 0; /* none attached: the whole plan goes in at the end */
	return n;
}

/* Attaches probes[from...] of plan (those the early plan lacked) into
 * *more. Returns 1, 0 when there are none, or -errno. */
static int attach_more(struct tls_files *t, const struct tls_plan *plan, size_t from,
		       const char *path, const char *via, int pid, struct tls_attach **more)
{
	struct tls_plan *rest;
	char what[160], where[32] = "for every process";
	int err;

	if (plan->n <= from)
		return 0;
	rest = malloc(sizeof(*rest));
	if (!rest)
		return -ENOMEM;
	*rest = *plan;
	rest->n = from;
	rest->detected = tls_plan__located(plan) & ~tls_plan__located(rest);
	rest->n = plan->n - from;
	memmove(rest->probes, plan->probes + from, rest->n * sizeof(rest->probes[0]));
	err = t->ops.attach(t->probes, via, rest, pid, more);
	if (err) {
		*more = NULL;
	} else {
		tls_plan__describe(rest, what, sizeof(what));
		if (pid >= 0)
			snprintf(where, sizeof(where), "inside pid %d only", pid);
		info("attached %s probes to %s (%zu uprobes, beside its first library's) %s",
		     what, path, rest->n, where);
	}
	free(rest);
	return err ? err : 1;
}

/* The final plan of a file whose early plan is attached: the probes it
 * adds go in beside (never detaching the early ones, whose calls may be
 * in flight). A final plan that does not start with the early one
 * (never expected) has the early probes detached and goes in whole. */
static int located_rest(struct tls_files *t, uint32_t idx, const struct tls_plan *early,
			const char *via)
{
	struct tls_file *f = &t->files[idx];
	bool same = f->plan->n >= early->n &&
		    !memcmp(f->plan->probes, early->probes, early->n * sizeof(early->probes[0]));
	int n = 0;

	for (size_t i = 0; i < t->n_users; i++) {
		struct file_user *u = &t->users[i];

		if (u->file != idx || !u->attach || u->gone)
			continue;
		if (!same)
			tls_files__detach(t, &u->attach, &u->more);
		else if (!u->more)
			n += attach_more(t, f->plan, early->n, f->path, via, u->pid, &u->more) > 0;
	}
	if (!same)
		tls_files__detach(t, &f->attach, &f->more);
	if (t->scoped)
		return n + attach_waiting(t, idx, via);
	if (!f->attach)
		return tls_files__attach_shared(t, idx, f->path, via) > 0;
	return attach_more(t, f->plan, early->n, f->path, via, -1, &f->more) > 0;
}

/* Detaches every probe on files[idx], for every process and inside each. */
static void drop_probes(struct tls_files *t, uint32_t idx)
{
	tls_files__detach(t, &t->files[idx].attach, &t->files[idx].more);
	for (size_t i = 0; i < t->n_users; i++)
		if (t->users[i].file == idx && t->users[i].attach)
			tls_files__detach(t, &t->users[i].attach, &t->users[i].more);
}

/* A file the locator finished: its waiting users get their probes. */
static int located(struct tls_files *t, struct locate_job *j)
{
	struct tls_file *f = &t->files[j->idx];
	struct tls_plan *early = f->early_n ? f->plan : NULL;
	struct stat st;
	char via[40];
	int n = 0;

	if (j->early)
		return located_early(t, j);
	if (!early)
		free(f->plan); /* an early plan none of whose probes went in */
	f->plan = NULL;
	f->early_n = 0;
	f->locating = false;
	t->stats.located_async++;
	snprintf(via, sizeof(via), "/proc/self/fd/%d", j->fd);
	if (!tls_files__resolved(t, f, some_user(t, j->idx), f->path, j->plan, j->n, j->ms, via,
		      fstat(j->fd, &st) ? NULL : &st)) {
		if (early)
			drop_probes(t, j->idx); /* never expected: the final plan has more */
		free(early);
		f->n_waiting = 0;
		return 0;
	}
	if (early)
		n = located_rest(t, j->idx, early, via);
	else if (!t->scoped)
		n = tls_files__attach_shared(t, j->idx, f->path, via) > 0;
	else
		n = attach_waiting(t, j->idx, via);
	free(early);
	if (!t->scoped && n && !f->users && !f->pinned)
		f->idle_since = tls_files__now_ns(); /* its users left meanwhile: the grace starts now */
	f->n_waiting = 0;
	return n;
}

/* The one probed file pid uses, or -1 (none, or several: their records
 * cannot be told apart). */
static int only_file(const struct tls_files *t, uint32_t pid)
{
	int idx = -1;

	for (size_t i = 0; i < t->n_users; i++) {
		if (t->users[i].pid != pid || t->users[i].gone)
			continue;
		if (idx >= 0 && (uint32_t)idx != t->users[i].file)
			return -1;
		idx = t->users[i].file;
	}
	return idx;
}

/* files[idx]'s first calls do not behave like SSL_write/SSL_read (why
 * says how): its probes go, and it is reported and never probed again,
 * by this daemon nor (through the plan cache) the next. */
static void refuse(struct tls_files *t, uint32_t idx, uint32_t pid, const char *why)
{
	struct tls_file *f = &t->files[idx];
	char what[160], comm[32] = "?";

	tls_plan__describe(f->plan, what, sizeof(what));
	proc_info__comm(pid, comm, sizeof(comm));
	warn("process %u (%s): TLS library %s located in %s, but on its first calls %s: its "
	     "probes are detached, its calls are not traced", pid, comm, what, f->path, why);
	drop_probes(t, idx);
	free(f->plan);
	f->plan = NULL;
	f->has_ssl = false;
	t->stats.refused++;
	/* the next daemon reports it without placing probes again */
	if (t->cache)
		plan_cache__refuse(t->cache, f->dev, f->ino, why);
}

void tls_files__first_call(struct tls_files *t, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;
	enum first_calls_verdict v;
	const char *why = "";
	struct tls_file *f;
	int idx;

	/* a call the kernel did not emit: counted, whoever probed it */
	if (len >= sizeof(*h) && h->type == AR_EV_TLS_ODD)
		t->stats.odd_calls++;
	if (!t->on_probation || len < sizeof(*h) || !(h->flags & AR_F_TLS) ||
	    (h->type != AR_EV_DATA && h->type != AR_EV_TLS_ODD))
		return;
	idx = only_file(t, h->tgid);
	if (idx < 0 || !t->files[idx].judge)
		return;
	f = &t->files[idx];
	v = first_calls__record(f->judge, rec, len, &why);
	if (v == FIRST_CALLS_UNDECIDED)
		return;
	first_calls__free(f->judge);
	f->judge = NULL;
	t->on_probation--;
	if (v == FIRST_CALLS_REFUSED)
		refuse(t, idx, h->tgid, why);
	else
		info("%s: the first calls through its located TLS functions carry plaintext: "
		     "trusted (a stable SSL*, results that fit their lengths)", f->path);
}

bool tls_files__locating(const struct tls_files *t)
{
	return t->locator && locator__pending(t->locator);
}

int tls_files__poll(struct tls_files *t)
{
	struct locate_job j;
	int n = 0;

	while (t->locator && locator__pop(t->locator, &j)) {
		n += located(t, &j);
		if (!j.early)
			close(j.fd); /* an early job's file is still being read */
	}
	return n;
}
