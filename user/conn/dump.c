// SPDX-License-Identifier: MIT
/*
 * Stream dumper. Each dumped direction is an entry (kept until finish for
 * the index); entries own at most one of DUMP_MAX_OPEN cached FILE*s,
 * recycled least recently used first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/safe_file.h"
#include "conn/dump.h"
#include "conn/role.h"

#define NO_ENTRY SIZE_MAX

struct dump_entry {
	uint64_t conn_id;
	uint32_t pid;
	int dir;
	uint8_t role;
	uint8_t role_src; /* enum conn_role_src */
	bool tls;
	bool has_tuple;
	bool created; /* file exists: reopen in append mode */
	int slot;     /* index in open[], or -1 */
	struct ar_tuple tuple;
	char comm[AR_COMM_LEN];
	uint64_t bytes;
	uint64_t gap_bytes;
};

/* Per-conn state in conn_meta.user. */
struct dump_conn {
	size_t entry[2]; /* per enum ar_dir, NO_ENTRY until first data or gap */
};

struct open_file {
	FILE *f;
	size_t entry;
	uint64_t last_use;
};

struct stream_dump {
	char *dir;
	struct dump_entry *entries;
	size_t nentries, cap;
	struct open_file open[DUMP_MAX_OPEN];
	uint64_t tick;
	uint64_t skipped; /* directions beyond DUMP_MAX_FILES */
	int err;          /* first error */
};

static void set_err(struct stream_dump *d, int err, const char *what)
{
	if (d->err)
		return;
	d->err = err;
	warn("stream dump: %s: %s", what, strerror(-err));
}

static void entry_name(const struct dump_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu32 "-%" PRIu64 "-%s.bin", e->pid, e->conn_id,
		 e->dir == AR_DIR_EGRESS ? "egress" : "ingress");
}

static void entry_path(const struct stream_dump *d, const struct dump_entry *e, char *buf,
		       size_t len)
{
	char name[96];

	entry_name(e, name, sizeof(name));
	snprintf(buf, len, "%s/%s", d->dir, name);
}

/* Closes the file in slot i. Records an fclose error. */
static void slot_close(struct stream_dump *d, int i)
{
	struct open_file *o = &d->open[i];

	if (!o->f)
		return;
	if (fclose(o->f))
		set_err(d, -errno, "close failed");
	d->entries[o->entry].slot = -1;
	o->f = NULL;
}

/* The open FILE* for entry idx, recycling the least recently used slot.
 * Returns NULL (error recorded) when the file cannot be opened. */
static FILE *entry_file(struct stream_dump *d, size_t idx)
{
	struct dump_entry *e = &d->entries[idx];
	char path[PATH_MAX];
	int victim = 0;

	if (e->slot >= 0) {
		d->open[e->slot].last_use = ++d->tick;
		return d->open[e->slot].f;
	}
	for (int i = 0; i < DUMP_MAX_OPEN; i++) {
		if (!d->open[i].f) {
			victim = i;
			break;
		}
		if (d->open[i].last_use < d->open[victim].last_use)
			victim = i;
	}
	slot_close(d, victim);
	entry_path(d, e, path, sizeof(path));
	/* First open truncates what an earlier run left behind. */
	d->open[victim].f = safe_file__fopen(path, e->created);
	if (!d->open[victim].f) {
		set_err(d, -errno, path);
		return NULL;
	}
	e->created = true;
	e->slot = victim;
	d->open[victim].entry = idx;
	d->open[victim].last_use = ++d->tick;
	return d->open[victim].f;
}

/* Copies what the index shows from the conn's current identity. */
static void entry_update(struct dump_entry *e, const struct conn_meta *c)
{
	e->pid = c->tgid;
	e->role = c->role;
	e->role_src = c->role_src;
	e->tls = c->is_tls;
	e->has_tuple = c->has_tuple;
	e->tuple = c->tuple;
	memcpy(e->comm, c->comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = '\0';
}

/* The entry of c's direction dir, created on first use. Returns
 * NO_ENTRY when it cannot be (out of memory or over DUMP_MAX_FILES). */
static size_t conn_entry(struct stream_dump *d, struct conn_meta *c, int dir)
{
	struct dump_conn *dc = c->user;
	struct dump_entry *e;

	if (!dc) {
		dc = malloc(sizeof(*dc));
		if (!dc) {
			set_err(d, -ENOMEM, "out of memory");
			return NO_ENTRY;
		}
		dc->entry[0] = dc->entry[1] = NO_ENTRY;
		c->user = dc;
	}
	if (dc->entry[dir] != NO_ENTRY)
		return dc->entry[dir];
	if (d->nentries >= DUMP_MAX_FILES) {
		if (!d->skipped++)
			warn("stream dump: more than %d streams, skipping the rest", DUMP_MAX_FILES);
		return NO_ENTRY;
	}
	if (d->nentries == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct dump_entry *p = realloc(d->entries, cap * sizeof(*p));

		if (!p) {
			set_err(d, -ENOMEM, "out of memory");
			return NO_ENTRY;
		}
		d->entries = p;
		d->cap = cap;
	}
	e = &d->entries[d->nentries];
	memset(e, 0, sizeof(*e));
	e->conn_id = c->conn_id;
	e->dir = dir;
	e->slot = -1;
	entry_update(e, c);
	dc->entry[dir] = d->nentries;
	return d->nentries++;
}

static void dump_on_data(void *ctx, struct conn_meta *c, int dir, const uint8_t *data,
			 size_t len, uint64_t ts, uint32_t tid)
{
	struct stream_dump *d = ctx;
	size_t idx = conn_entry(d, c, dir);
	FILE *f;

	if (idx == NO_ENTRY)
		return;
	entry_update(&d->entries[idx], c);
	f = entry_file(d, idx);
	if (!f)
		return;
	if (fwrite(data, 1, len, f) != len) {
		set_err(d, errno ? -errno : -EIO, "write failed");
		return;
	}
	d->entries[idx].bytes += len;
}

static void dump_on_gap(void *ctx, struct conn_meta *c, int dir, uint64_t missing)
{
	struct stream_dump *d = ctx;
	size_t idx = conn_entry(d, c, dir);

	if (idx != NO_ENTRY)
		d->entries[idx].gap_bytes += missing;
}

static void dump_on_close(void *ctx, struct conn_meta *c)
{
	struct stream_dump *d = ctx;
	struct dump_conn *dc = c->user;

	if (!dc)
		return;
	for (int dir = 0; dir < 2; dir++) {
		struct dump_entry *e;

		if (dc->entry[dir] == NO_ENTRY)
			continue;
		e = &d->entries[dc->entry[dir]];
		entry_update(e, c); /* the tuple may have arrived late */
		if (e->slot >= 0)
			slot_close(d, e->slot);
	}
	free(dc);
	c->user = NULL;
}

struct stream_dump *stream_dump__new(const char *dir)
{
	struct stream_dump *d;
	int err = safe_file__mkdirs(dir);

	if (err) {
		errno = -err;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->dir = strdup(dir);
	if (!d->dir) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	return d;
}

struct stream_sink stream_dump__sink(struct stream_dump *d)
{
	struct stream_sink s = {
		.ctx = d,
		/* No on_open: entries appear with the first byte or gap. */
		.on_data = dump_on_data,
		.on_gap = dump_on_gap,
		.on_close = dump_on_close,
	};

	return s;
}

/* "addr:port", "[addr6]:port", or "-". */
static void fmt_endpoint(char *buf, size_t len, const struct dump_entry *e, bool local)
{
	const uint8_t *addr = local ? e->tuple.saddr : e->tuple.daddr;
	uint16_t port = local ? e->tuple.sport : e->tuple.dport;
	char ip[INET6_ADDRSTRLEN];

	if (e->has_tuple && e->tuple.family == AF_INET && inet_ntop(AF_INET, addr, ip, sizeof(ip)))
		snprintf(buf, len, "%s:%u", ip, port);
	else if (e->has_tuple && e->tuple.family == AF_INET6 &&
		 inet_ntop(AF_INET6, addr, ip, sizeof(ip)))
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "-");
}

/* comm is process-controlled: keep the TSV parseable. */
static void fmt_comm(char *buf, const char *comm)
{
	size_t i;

	for (i = 0; i < AR_COMM_LEN - 1 && comm[i]; i++) {
		unsigned char ch = (unsigned char)comm[i];

		buf[i] = ch < 0x21 || ch >= 0x7f ? '?' : (char)ch;
	}
	if (i == 0)
		buf[i++] = '-';
	buf[i] = '\0';
}

/* Writes index.tsv. Returns 0 or a negative errno. */
static int write_index(struct stream_dump *d)
{
	char path[PATH_MAX], name[96], comm[AR_COMM_LEN], loc[64], rem[64];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/index.tsv", d->dir);
	f = safe_file__fopen(path, false);
	if (!f)
		return -errno;
	fprintf(f, "file\tpid\tcomm\tconn_id\tdir\trole\ttls\tlocal\tremote\tbytes\tgap_bytes"
		"\trole_by\n");
	for (size_t i = 0; i < d->nentries; i++) {
		const struct dump_entry *e = &d->entries[i];

		entry_name(e, name, sizeof(name));
		fmt_comm(comm, e->comm);
		fmt_endpoint(loc, sizeof(loc), e, true);
		fmt_endpoint(rem, sizeof(rem), e, false);
		fprintf(f, "%s\t%" PRIu32 "\t%s\t%" PRIu64 "\t%s\t%s\t%d\t%s\t%s\t%" PRIu64 "\t%" PRIu64
			"\t%s\n",
			name, e->pid, comm, e->conn_id, e->dir == AR_DIR_EGRESS ? "egress" : "ingress",
			conn_role__name(e->role), e->tls ? 1 : 0, loc, rem, e->bytes, e->gap_bytes,
			conn_role__src_name(e->role_src));
	}
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int stream_dump__finish(struct stream_dump *d)
{
	char path[PATH_MAX];
	int err;

	if (!d)
		return 0;
	for (int i = 0; i < DUMP_MAX_OPEN; i++)
		slot_close(d, i);
	/* Directions that only ever had gaps still get their (empty) file. */
	for (size_t i = 0; i < d->nentries; i++) {
		FILE *f;

		if (d->entries[i].created)
			continue;
		entry_path(d, &d->entries[i], path, sizeof(path));
		f = safe_file__fopen(path, false);
		if (!f || fclose(f))
			set_err(d, -errno, path);
	}
	err = write_index(d);
	if (err)
		set_err(d, err, "cannot write index.tsv");
	err = d->err;
	free(d->entries);
	free(d->dir);
	free(d);
	return err;
}
