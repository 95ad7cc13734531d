// SPDX-License-Identifier: MIT
/*
 * One line per file:
 *   DEV INO SIZE MTIME_NS CTIME_NS LIB DETECTED CHECK N PROG:OFF... [vLIB=VERSION...] #NOTE
 * numbers in decimal but CHECK and OFF in hex; the first line names the
 * format, and a file with another first line is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/log.h"
#include "discover/plan_cache.h"

/* 2: Go entry probes moved to the stack check's jump; 3: OpenSSL's
 * probes moved to the internal function its wrappers call, and every
 * probe past a leading endbr64. Older plans are located again. */
#define MAGIC "agentrace-tls-plans 3"
#define CHECK_BYTES 16

struct entry {
	unsigned long long dev, ino, size, mtime, ctime, check;
	unsigned long long age; /* insertion order, for dropping the oldest */
	struct tls_plan plan;
};

struct plan_cache {
	char *path;
	struct entry e[PLAN_CACHE_MAX];
	size_t n;
	unsigned long long age;
	struct plan_cache_stats st;
};

static unsigned long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000ull + t->tv_nsec;
}

static bool same_file(const struct entry *e, const struct stat *st)
{
	return e->dev == (unsigned long long)st->st_dev && e->ino == (unsigned long long)st->st_ino &&
	       e->size == (unsigned long long)st->st_size && e->mtime == ns(&st->st_mtim) &&
	       e->ctime == ns(&st->st_ctim);
}

/* Hash of the bytes at every probe offset; false when one cannot be read. */
static bool plan_check(const char *via, const struct tls_plan *plan, unsigned long long *out)
{
	XXH64_state_t *h = XXH64_createState();
	uint8_t buf[CHECK_BYTES];
	bool ok = h != NULL;
	int fd = -1;

	if (ok && plan->n) {
		fd = open(via, O_RDONLY | O_CLOEXEC);
		ok = fd >= 0;
	}
	if (ok)
		XXH64_reset(h, 0);
	for (size_t i = 0; ok && i < plan->n; i++) {
		ok = pread(fd, buf, sizeof(buf), plan->probes[i].off) == sizeof(buf);
		if (ok)
			XXH64_update(h, buf, sizeof(buf));
	}
	if (ok)
		*out = XXH64_digest(h);
	if (fd >= 0)
		close(fd);
	XXH64_freeState(h);
	return ok;
}

/* Parses one line into e; false when it is malformed. */
static bool parse_line(char *line, struct entry *e)
{
	struct tls_plan *p = &e->plan;
	unsigned lib, detected;
	char *tok, *save, *note = strstr(line, " #");
	size_t n;
	int used;

	memset(e, 0, sizeof(*e));
	if (note) {
		*note = 0;
		snprintf(p->note, sizeof(p->note), "%.*s", (int)strcspn(note + 2, "\n"), note + 2);
	}
	if (sscanf(line, "%llu %llu %llu %llu %llu %u %u %llx %zu%n", &e->dev, &e->ino, &e->size,
		   &e->mtime, &e->ctime, &lib, &detected, &e->check, &n, &used) != 9 ||
	    lib >= TLS_LIB_MAX || n > TLS_PLAN_MAX)
		return false;
	p->lib = lib;
	p->detected = detected;
	for (tok = strtok_r(line + used, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		unsigned prog, v;
		unsigned long long off;
		char ver[40];

		if (sscanf(tok, "v%u=%39s", &v, ver) == 2 && v < TLS_LIB_MAX)
			snprintf(p->versions[v], sizeof(p->versions[v]), "%s", ver);
		else if (sscanf(tok, "%u:%llx", &prog, &off) == 2 && prog < TLS_PROG_MAX)
			tls_plan__add(p, prog, off);
		else
			return false;
	}
	return p->n == n && (p->detected & (1u << p->lib));
}

static void load(struct plan_cache *c)
{
	FILE *f = fopen(c->path, "re");
	char line[4096];
	struct stat st;

	if (!f)
		return;
	/* offsets from the file become uprobes: only a file no one else could
	 * have written is read */
	if (fstat(fileno(f), &st) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		warn("ignoring the TLS plan cache %s: not owned by us or writable by others",
		     c->path);
		fclose(f);
		return;
	}
	if (!fgets(line, sizeof(line), f) || strncmp(line, MAGIC "\n", sizeof(MAGIC))) {
		fclose(f);
		return;
	}
	while (c->n < PLAN_CACHE_MAX && fgets(line, sizeof(line), f))
		if (parse_line(line, &c->e[c->n]))
			c->e[c->n].age = ++c->age, c->n++;
	fclose(f);
}

struct plan_cache *plan_cache__open(const char *path)
{
	struct plan_cache *c = calloc(1, sizeof(*c));

	if (!c || !(c->path = strdup(path))) {
		free(c);
		return NULL;
	}
	load(c);
	return c;
}

void plan_cache__free(struct plan_cache *c)
{
	if (!c)
		return;
	free(c->path);
	free(c);
}

static void write_entry(FILE *f, const struct entry *e)
{
	const struct tls_plan *p = &e->plan;

	fprintf(f, "%llu %llu %llu %llu %llu %u %u %llx %zu", e->dev, e->ino, e->size, e->mtime,
		e->ctime, (unsigned)p->lib, p->detected, e->check, p->n);
	for (size_t i = 0; i < p->n; i++)
		fprintf(f, " %u:%llx", p->probes[i].prog, (unsigned long long)p->probes[i].off);
	for (int v = 0; v < TLS_LIB_MAX; v++)
		if (p->versions[v][0] && !strpbrk(p->versions[v], " #\n"))
			fprintf(f, " v%d=%s", v, p->versions[v]);
	fprintf(f, " #%s\n", strpbrk(p->note, "\n") ? "" : p->note);
}

/* Rewrites the file whole, through a temporary file and rename, so a
 * reader (another daemon starting) never sees half of it. */
static int save(struct plan_cache *c)
{
	char tmp[4200], *slash;
	FILE *f;
	int err = 0;

	slash = strrchr(c->path, '/');
	if (slash && slash != c->path) {
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(slash - c->path), c->path);
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
	}
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", c->path, (int)getpid());
	f = fopen(tmp, "wxe");
	if (f)
		fchmod(fileno(f), 0644);
	if (!f)
		return -errno;
	fprintf(f, MAGIC "\n");
	for (size_t i = 0; i < c->n; i++)
		write_entry(f, &c->e[i]);
	if (fflush(f) || ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, c->path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

bool plan_cache__get(struct plan_cache *c, const char *via, const struct stat *st,
		     struct tls_plan *plan)
{
	unsigned long long check;

	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = &c->e[i];

		if (!same_file(e, st))
			continue;
		if (!plan_check(via, &e->plan, &check) || check != e->check) {
			/* same identity, other bytes: never trust the offsets */
			c->st.stale++;
			c->e[i] = c->e[--c->n];
			break;
		}
		*plan = e->plan;
		c->st.hits++;
		return true;
	}
	c->st.misses++;
	return false;
}

int plan_cache__put(struct plan_cache *c, const char *via, const struct stat *st,
		    const struct tls_plan *plan)
{
	unsigned long long check;
	struct entry *e;
	size_t slot = c->n;
	int err;

	if (plan->lib == TLS_LIB_NONE)
		return 0;
	if (!plan_check(via, plan, &check))
		return -EIO;
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].dev == (unsigned long long)st->st_dev &&
		    c->e[i].ino == (unsigned long long)st->st_ino)
			slot = i; /* a newer version of the same file */
	if (slot == PLAN_CACHE_MAX) {
		slot = 0;
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i].age < c->e[slot].age)
				slot = i;
	}
	e = &c->e[slot];
	memset(e, 0, sizeof(*e));
	e->check = check;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = ns(&st->st_mtim);
	e->ctime = ns(&st->st_ctim);
	e->age = ++c->age;
	e->plan = *plan;
	if (slot == c->n)
		c->n++;
	err = save(c);
	if (err) {
		c->st.save_errors++;
		debug("cannot write the TLS plan cache %s: %s", c->path, strerror(-err));
		return err;
	}
	c->st.saved++;
	return 0;
}

int plan_cache__refuse(struct plan_cache *c, dev_t dev, ino_t ino, const char *why)
{
	struct tls_plan *p;
	int err;

	for (size_t i = 0; i < c->n; i++) {
		if (c->e[i].dev != (unsigned long long)dev || c->e[i].ino != (unsigned long long)ino)
			continue;
		p = &c->e[i].plan;
		p->n = 0; /* an entry without probes checks no bytes: check stays that of none */
		c->e[i].check = XXH64(NULL, 0, 0);
		snprintf(p->note, sizeof(p->note), "located by an earlier run, refused on its first "
			 "calls (%s); remove its line from the TLS plan cache to locate it again", why);
		err = save(c);
		if (err) {
			c->st.save_errors++;
			return err;
		}
		c->st.saved++;
		return 0;
	}
	return -ENOENT;
}

void plan_cache__stats(const struct plan_cache *c, struct plan_cache_stats *out)
{
	*out = c->st;
}
