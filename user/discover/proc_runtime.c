// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/readfile.h"
#include "discover/proc_runtime.h"

#define PASSWD_MAX (256 << 10) /* larger files are not read */

static bool version_chars(const char *s, size_t n)
{
	if (!n || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.')
			return false;
	return true;
}

/* "…/v20.11.1/bin/node" (nvm) or "…/node-v20.11.1-linux-x64/bin/node". */
static void node_version_from_path(const char *path, char *out, size_t cap)
{
	for (const char *p = path; (p = strchr(p, 'v')); p++) {
		size_t n = strspn(p + 1, "0123456789.");

		if ((p == path || p[-1] == '/' || p[-1] == '-') && n >= 3 &&
		    version_chars(p + 1, n) && strchr(p + 1, '.') < p + 1 + n &&
		    (p[1 + n] == '/' || p[1 + n] == '-')) {
			snprintf(out, cap, "%.*s", (int)n, p + 1);
			return;
		}
	}
}

int proc_runtime__from_exe(const char *exe_path, struct ar_proc_runtime *rec)
{
	const char *slash = strrchr(exe_path, '/');
	const char *base = slash ? slash + 1 : exe_path;

	if (strncmp(base, "python", 6) == 0 && (!base[6] || isdigit((unsigned char)base[6]))) {
		snprintf(rec->runtime_name, sizeof(rec->runtime_name), "cpython");
		/* python3.11: the version is in the name; python3 says too little */
		if (strchr(base + 6, '.') && version_chars(base + 6, strlen(base + 6)))
			snprintf(rec->runtime_version, sizeof(rec->runtime_version), "%s",
				 base + 6);
		return 0;
	}
	if (strcmp(base, "node") == 0 || strcmp(base, "nodejs") == 0) {
		snprintf(rec->runtime_name, sizeof(rec->runtime_name), "nodejs");
		node_version_from_path(exe_path, rec->runtime_version,
				       sizeof(rec->runtime_version));
		return 0;
	}
	return -ENOENT;
}

int proc_runtime__go_buildinfo(const uint8_t *buf, size_t len, char *out, size_t cap)
{
	static const char magic[] = "\xff Go buildinf:";
	uint64_t n = 0;
	size_t off = 32;
	int shift = 0;

	/* 14-byte magic, pointer size, flags; flag 2: strings inline at 32 */
	if (len < 33 || memcmp(buf, magic, 14) || !(buf[15] & 2))
		return -EINVAL;
	for (; off < len && shift < 64; off++, shift += 7) {
		n |= (uint64_t)(buf[off] & 0x7f) << shift;
		if (!(buf[off] & 0x80))
			break;
	}
	off++;
	if (off > len || n == 0 || n >= cap || n > len - off || memcmp(buf + off, "go", 2))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isprint(buf[off + i]))
			return -EINVAL;
	memcpy(out, buf + off, n);
	out[n] = 0;
	return 0;
}

/* Reads the Go version from the .go.buildinfo section of path. */
static int go_version(const char *path, char *out, size_t cap)
{
	uint8_t buf[96];
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf *elf = NULL;
	int fd, err = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx))
		goto cleanup;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		ssize_t n;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".go.buildinfo") || sh.sh_type == SHT_NOBITS)
			continue;
		n = pread(fd, buf, sizeof(buf), sh.sh_offset);
		if (n > 0)
			err = proc_runtime__go_buildinfo(buf, n, out, cap);
		break;
	}
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}

int proc_runtime__passwd_name(const char *passwd, uint32_t uid, char *out, size_t cap)
{
	for (const char *l = passwd; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c1 = strchr(l, ':'), *c2, *nl = strchr(l, '\n');
		char *end;
		unsigned long v;

		if (!c1 || (nl && c1 > nl) || !(c2 = strchr(c1 + 1, ':')) || (nl && c2 > nl))
			continue;
		v = strtoul(c2 + 1, &end, 10);
		if (end == c2 + 1 || *end != ':' || v != uid || c1 == l ||
		    (size_t)(c1 - l) >= cap)
			continue;
		memcpy(out, l, c1 - l);
		out[c1 - l] = 0;
		return 0;
	}
	return -ENOENT;
}

/* The real uid from /proc/PID/status. */
static int real_uid(uint32_t pid, uint32_t *uid)
{
	char path[64], buf[4096], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	n = readfile__small(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	p = strstr(buf, "\nUid:");
	if (!p)
		return -EINVAL;
	*uid = strtoul(p + 5, NULL, 10);
	return 0;
}

int proc_runtime__read(uint32_t pid, uint64_t now_mono, const char *exe_path,
		       struct ar_proc_runtime *rec)
{
	char path[64], *passwd;
	uint32_t uid;
	int err;

	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = AR_EV_PROC_RUNTIME;
	rec->hdr.tgid = pid;
	rec->hdr.tid = pid;
	rec->hdr.ts_ns = now_mono;
	err = real_uid(pid, &uid);
	if (err)
		return err == -ENOENT ? err : 0;
	/* The process's own /etc/passwd: a container's users are not the host's. */
	passwd = malloc(PASSWD_MAX);
	snprintf(path, sizeof(path), "/proc/%u/root/etc/passwd", pid);
	if (passwd && readfile__small(path, passwd, PASSWD_MAX) > 0)
		proc_runtime__passwd_name(passwd, uid, rec->owner, sizeof(rec->owner));
	free(passwd);
	if (exe_path[0] && proc_runtime__from_exe(exe_path, rec) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (go_version(path, rec->runtime_version, sizeof(rec->runtime_version)) == 0)
		snprintf(rec->runtime_name, sizeof(rec->runtime_name), "go");
	return 0;
}
