// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the small parsers that read outside input:
 * Retry-After (retry__parse_after), the health endpoint's request parser
 * (health__respond) and /proc/PID/cgroup text (cgroup_id__parse, qos).
 */
#include <stdlib.h>
#include <string.h>

#include "discover/cgroup_id.h"
#include "export/retry.h"
#include "health/health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[512], path[256], cid[80], pod[48];
	size_t n;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	retry__parse_after(s, 1700000000);
	n = health__respond(s, size, size & 1, size * 1000, out, sizeof(out));
	if (n > sizeof(out))
		abort();
	if (cgroup_id__parse(s, path, sizeof(path), cid, sizeof(cid), pod, sizeof(pod)) == 0)
		cgroup_id__qos(path);
	free(s);
	return 0;
}
