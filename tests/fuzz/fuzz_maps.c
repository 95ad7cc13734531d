// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for /proc/PID/maps parsing (a process controls the
 * paths it maps): the input is the maps text, read through fmemopen; the
 * executable path is its first line.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover/proc_maps.h"

static int count(void *ctx, const char *path)
{
	(void)ctx;
	if (!path || path[0] != '/')
		abort(); /* a candidate is always an absolute path */
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char exe[256] = "";
	const uint8_t *nl = memchr(data, '\n', size);
	size_t e = nl ? (size_t)(nl - data) : 0;
	FILE *f;

	if (e >= sizeof(exe))
		e = sizeof(exe) - 1;
	memcpy(exe, data, e);
	if (!size || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	if (proc_maps__candidates(f, exe, count, NULL) > 16)
		abort(); /* at most MAX_CANDIDATES */
	fclose(f);
	return 0;
}
