// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <agentrace/events.h>

#include "capture/probes.h"
#include "common/log.h"
#include "discover/conn_seed.h"
#include "discover/proc_info.h"
#include "discover/proc_maps.h"

#define TCP_ESTABLISHED 1
#define MAX_NETNS 64
#define MAX_SOCKS_PER_NS 65536

struct sock_ent {
	uint64_t inode;
	struct ar_tuple t;
};

/* Established TCP sockets of one network namespace, sorted by inode. */
struct ns_table {
	uint64_t netns;
	struct sock_ent *e;
	size_t n;
};

struct seed {
	struct probes *p;
	discover_emit_fn emit;
	void *ctx;
	struct conn_seed_stats *st;
	struct ns_table ns[MAX_NETNS];
	size_t n_ns;
	uint32_t self;
};

/* Parses n hex digits at s as a native u32 (the kernel prints addresses
 * as the %08X of their network-order word). */
static int hex32(const char *s, uint32_t *out)
{
	char buf[9];
	char *end;

	memcpy(buf, s, 8);
	buf[8] = 0;
	*out = (uint32_t)strtoul(buf, &end, 16);
	return end == buf + 8 ? 0 : -EINVAL;
}

/* "ADDR:PORT" at s: 8 (v4) or 32 (v6) hex digits, ':', 4 hex digits. */
static int parse_endpoint(const char *s, int v6, uint8_t addr[16], uint16_t *port)
{
	size_t words = v6 ? 4 : 1;
	char *end;

	for (size_t i = 0; i < words; i++) {
		uint32_t w;

		if (hex32(s + i * 8, &w))
			return -EINVAL;
		memcpy(addr + i * 4, &w, 4);
	}
	s += words * 8;
	if (*s != ':')
		return -EINVAL;
	*port = (uint16_t)strtoul(s + 1, &end, 16);
	return end == s + 5 ? 0 : -EINVAL;
}

int conn_seed__parse_line(const char *line, int v6, struct ar_tuple *t, uint64_t *inode,
			  unsigned *state)
{
	char local[64], remote[64];
	unsigned long long ino;

	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
	if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %*u %*u %llu", local, remote, state,
		   &ino) != 4)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->family = v6 ? AF_INET6 : AF_INET;
	if (strlen(local) != (v6 ? 37u : 13u) || strlen(remote) != strlen(local) ||
	    parse_endpoint(local, v6, t->saddr, &t->sport) ||
	    parse_endpoint(remote, v6, t->daddr, &t->dport))
		return -EINVAL;
	*inode = ino;
	return 0;
}

static int by_inode(const void *a, const void *b)
{
	const struct sock_ent *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static void read_table(struct ns_table *ns, uint32_t pid, const char *file, int v6)
{
	char path[64], line[512];
	struct sock_ent e;
	unsigned state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && ns->n < MAX_SOCKS_PER_NS) {
		if (conn_seed__parse_line(line, v6, &e.t, &e.inode, &state) ||
		    state != TCP_ESTABLISHED || !e.inode)
			continue;
		if ((ns->n & 255) == 0) {
			struct sock_ent *grown = realloc(ns->e, (ns->n + 256) * sizeof(*grown));

			if (!grown)
				break;
			ns->e = grown;
		}
		ns->e[ns->n++] = e;
	}
	fclose(f);
}

/* The established sockets of pid's network namespace, read once per
 * namespace; NULL when it cannot be told (the process is gone). */
static struct ns_table *ns_of(struct seed *s, uint32_t pid)
{
	char path[64];
	struct stat sb;
	struct ns_table *ns;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	if (stat(path, &sb))
		return NULL;
	for (size_t i = 0; i < s->n_ns; i++)
		if (s->ns[i].netns == sb.st_ino)
			return &s->ns[i];
	if (s->n_ns == MAX_NETNS)
		return NULL; /* its connections are not seeded */
	ns = &s->ns[s->n_ns++];
	ns->netns = sb.st_ino;
	read_table(ns, pid, "tcp", 0);
	read_table(ns, pid, "tcp6", 1);
	qsort(ns->e, ns->n, sizeof(*ns->e), by_inode);
	s->st->netns++;
	return ns;
}

static void seed_fd(struct seed *s, uint32_t pid, int fd, const struct sock_ent *e,
		    const char *comm)
{
	struct ar_conn_event ev = { .hdr = { .type = AR_EV_CONN_OPEN, .tgid = pid, .tid = pid },
				    .tuple = e->t, .fd = fd, .role = AR_ROLE_UNKNOWN };
	struct timespec ts;
	uint64_t id;

	if (probes__seed_conn(s->p, pid, fd, &id)) {
		s->st->failed++;
		return;
	}
	ev.hdr.conn_id = id;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev.hdr.ts_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	memcpy(ev.comm, comm, sizeof(ev.comm));
	s->emit(s->ctx, &ev, sizeof(ev));
	s->st->seeded++;
}

static int seed_pid(uint32_t pid, void *arg)
{
	struct seed *s = arg;
	char path[64], link[64], comm[AR_COMM_LEN] = "";
	struct ns_table *ns = NULL;
	struct dirent *de;
	DIR *d;

	if (pid == s->self || probes__is_target(s->p, pid))
		return 0;
	if (s->st->seeded >= CONN_SEED_MAX)
		return 1;
	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && s->st->seeded < CONN_SEED_MAX) {
		unsigned long long ino;
		struct sock_ent key, *e;
		char fdpath[96];
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		s->st->sockets++;
		if (!ns && !(ns = ns_of(s, pid)))
			break;
		key.inode = ino;
		e = bsearch(&key, ns->e, ns->n, sizeof(*ns->e), by_inode);
		if (!e)
			continue; /* not TCP, or not established */
		if (!comm[0])
			proc_info__comm(pid, comm, sizeof(comm));
		seed_fd(s, pid, atoi(de->d_name), e, comm);
	}
	closedir(d);
	return 0;
}

int conn_seed__run(struct probes *p, discover_emit_fn emit, void *ctx,
		   struct conn_seed_stats *st)
{
	struct seed *s = calloc(1, sizeof(*s));
	struct timespec a, b;
	int err;

	if (!s)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	s->p = p;
	s->emit = emit;
	s->ctx = ctx;
	s->st = st;
	s->self = (uint32_t)getpid();
	clock_gettime(CLOCK_MONOTONIC, &a);
	err = proc_maps__for_each_pid(seed_pid, s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	st->ns = (b.tv_sec - a.tv_sec) * 1000000000ull + b.tv_nsec - a.tv_nsec;
	for (size_t i = 0; i < s->n_ns; i++)
		free(s->ns[i].e);
	free(s);
	return err < 0 ? err : 0;
}
