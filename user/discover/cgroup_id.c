// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "discover/cgroup_id.h"

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The last 64-hex run in a path segment like "cri-containerd-<id>.scope",
 * "crio-<id>.scope", "docker-<id>.scope" or "<id>". */
static bool find_container_id(const char *path, char *out, size_t cap)
{
	bool found = false;

	for (const char *seg = path; seg && *seg; seg = strchr(seg, '/')) {
		const char *end;
		size_t len;

		seg += *seg == '/';
		end = strchr(seg, '/');
		len = end ? (size_t)(end - seg) : strlen(seg);
		if (len >= 6 && strncmp(seg + len - 6, ".scope", 6) == 0)
			len -= 6;
		if (len >= 64 && all_hex(seg + len - 64, 64) &&
		    (len == 64 || seg[len - 65] == '-')) {
			snprintf(out, cap, "%.64s", seg + len - 64);
			found = true;
		}
		if (!end)
			break;
	}
	return found;
}

/* "pod<uid>" where uid uses '-' (cgroupfs) or '_' (systemd). */
static bool find_pod_uid(const char *path, char *out, size_t cap)
{
	for (const char *p = strstr(path, "pod"); p; p = strstr(p + 3, "pod")) {
		const char *u = p + 3;
		char uid[37];
		size_t i;

		for (i = 0; i < 36; i++) {
			char c = u[i];

			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (c != '-' && c != '_')
					break;
				uid[i] = '-';
			} else if (isxdigit((unsigned char)c)) {
				uid[i] = c;
			} else {
				break;
			}
		}
		if (i == 36) {
			uid[36] = 0;
			snprintf(out, cap, "%s", uid);
			return true;
		}
	}
	return false;
}

int cgroup_id__parse(const char *text, char *path, size_t path_cap,
		     char *container_id, size_t cid_cap, char *pod_uid, size_t pod_cap)
{
	bool any = false;

	path[0] = container_id[0] = pod_uid[0] = 0;
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (c1 + 1 - line)) : NULL;
		char p[512];

		if (c2) {
			snprintf(p, sizeof(p), "%.*s", (int)(len - (c2 + 1 - line)), c2 + 1);
			/* v2 ("0::") wins; a v1 line counts when it names a container. */
			bool v2 = line[0] == '0' && c1 == line + 1 && c2 == c1 + 1;
			bool has_cid = !container_id[0] &&
				       find_container_id(p, container_id, cid_cap);

			if (v2 || has_cid || !any) {
				snprintf(path, path_cap, "%s", p);
				any = true;
			}
			if (!pod_uid[0])
				find_pod_uid(p, pod_uid, pod_cap);
		}
		line = nl ? nl + 1 : NULL;
	}
	return any ? 0 : -EINVAL;
}

const char *cgroup_id__qos(const char *path)
{
	if (!strstr(path, "kubepods"))
		return NULL;
	if (strstr(path, "besteffort"))
		return "BestEffort";
	if (strstr(path, "burstable"))
		return "Burstable";
	return "Guaranteed";
}
