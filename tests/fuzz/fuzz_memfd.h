/* SPDX-License-Identifier: MIT */
/* For harnesses whose code under test opens a path: the input is written
 * to one memfd per process, rewritten per input, and read through
 * /proc/self/fd (a file created and unlinked per input costs more than
 * most parsers). */
#ifndef AR_FUZZ_MEMFD_H
#define AR_FUZZ_MEMFD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returns the path of a file holding exactly data[0..size); aborts when
 * the memfd cannot be made or written. */
static const char *fz_memfd_path(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return path;
}

#endif
