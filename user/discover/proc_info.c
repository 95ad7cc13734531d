// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/readfile.h"
#include "discover/cgroup_id.h"
#include "discover/proc_info.h"

/* OTEL_SERVICE_NAME from the NUL-separated environ block. */
static void read_service_name(uint32_t pid, char *out, size_t cap)
{
	static const char key[] = "OTEL_SERVICE_NAME=";
	char path[64], env[32768];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/environ", pid);
	n = readfile__small(path, env, sizeof(env));
	for (ssize_t off = 0; n > 0 && off < n; off += strlen(env + off) + 1) {
		if (strncmp(env + off, key, sizeof(key) - 1) == 0) {
			snprintf(out, cap, "%s", env + off + sizeof(key) - 1);
			return;
		}
	}
}

int proc_info__comm(uint32_t pid, char *out, size_t len)
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	n = readfile__small(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(out, len, "%s", buf);
	return 0;
}

int proc_info__read(uint32_t pid, uint64_t now_mono, struct ar_proc_info *rec)
{
	char path[64], buf[4096];
	ssize_t n;

	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = AR_EV_PROC_INFO;
	rec->hdr.tgid = pid;
	rec->hdr.tid = pid;
	rec->hdr.ts_ns = now_mono;
	n = proc_info__comm(pid, rec->comm, sizeof(rec->comm));
	if (n < 0)
		return n;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, rec->exe_path, sizeof(rec->exe_path) - 1);
	rec->exe_path[n > 0 ? n : 0] = 0;
	read_service_name(pid, rec->service_name, sizeof(rec->service_name));
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	if (readfile__small(path, buf, sizeof(buf)) > 0)
		cgroup_id__parse(buf, rec->cgroup_path, sizeof(rec->cgroup_path),
				 rec->container_id, sizeof(rec->container_id),
				 rec->pod_uid, sizeof(rec->pod_uid));
	return 0;
}
