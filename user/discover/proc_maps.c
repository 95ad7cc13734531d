// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover/proc_maps.h"
#include "common/log.h"
#include "discover/tls_files.h"

#define MAX_CANDIDATES 16

/* libssl (SSL_* symbols), the executable (static TLS), and libcrypto: an
 * aws-lc or BoringSSL one exports the AEAD API that rustls goes through
 * (OpenSSL's libcrypto.so.3 is read once and planned empty). */
static bool is_candidate(const char *path, const char *exe)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, "libssl", 6) == 0 || strncmp(base, "libcrypto", 9) == 0 ||
	       (exe[0] && strcmp(path, exe) == 0);
}

int proc_maps__candidates(FILE *f, const char *exe,
			  int (*fn)(void *ctx, const char *path), void *ctx)
{
	char line[1024], seen[MAX_CANDIDATES][512];
	size_t n_seen = 0;
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');
		bool dup = false;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = 0;
		/* " (deleted)" files cannot be opened by path any more. */
		if (strstr(path, " (deleted)") || !is_candidate(path, exe))
			continue;
		for (size_t i = 0; i < n_seen && !dup; i++)
			dup = strncmp(seen[i], path, sizeof(seen[0]) - 1) == 0;
		if (dup || n_seen == MAX_CANDIDATES)
			continue;
		snprintf(seen[n_seen++], sizeof(seen[0]), "%s", path);
		n += fn(ctx, path) > 0;
	}
	return n;
}

struct each_ctx {
	uint32_t pid;
	int (*fn)(void *ctx, const char *path);
	void *ctx;
	int ret; /* the first non-zero return of fn: later paths are skipped */
};

static int each_one(void *ctx, const char *path)
{
	struct each_ctx *c = ctx;
	char full[1100];

	if (c->ret)
		return 0;
	snprintf(full, sizeof(full), "/proc/%u/root%s", c->pid, path);
	c->ret = c->fn(c->ctx, full);
	return 0;
}

int proc_maps__for_each_candidate(uint32_t pid, int (*fn)(void *ctx, const char *path),
				  void *ctx)
{
	struct each_ctx c = { .pid = pid, .fn = fn, .ctx = ctx };
	char fname[64], exe[512] = "";
	ssize_t len;
	FILE *f;

	snprintf(fname, sizeof(fname), "/proc/%u/exe", pid);
	len = readlink(fname, exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = 0;
	snprintf(fname, sizeof(fname), "/proc/%u/maps", pid);
	f = fopen(fname, "re");
	if (!f)
		return -errno;
	proc_maps__candidates(f, exe, each_one, &c);
	fclose(f);
	return c.ret;
}

struct scan_ctx {
	struct tls_files *t;
	uint32_t pid;
	int attached;
};

static int scan_one(void *ctx, const char *path)
{
	struct scan_ctx *c = ctx;
	int err = tls_files__add(c->t, c->pid, path);

	debug("pid %u maps %s: %d", c->pid, path, err);
	if (err > 0)
		c->attached++;
	return 0;
}

int proc_maps__scan(struct tls_files *t, uint32_t pid)
{
	struct scan_ctx c = { .t = t, .pid = pid };
	int err = proc_maps__for_each_candidate(pid, scan_one, &c);

	return err < 0 ? err : c.attached;
}

int proc_maps__for_each_pid(int (*fn)(uint32_t pid, void *ctx), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid)
			continue;
		ret = fn(pid, ctx);
	}
	closedir(d);
	return ret;
}
