// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for TLS library location (discovery reads every file a
 * traced process maps as libssl* and its executable, so a tenant controls
 * its bytes): symbols, .gopclntab, .eh_frame_hdr, version strings and code
 * decoding, through tls_lib__plan. The input is written to a memfd and read
 * through /proc/self/fd.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "discover/tls_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static struct tls_plan plan;

	if (fd < 0) {
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	tls_lib__plan(path, &plan);
	return 0;
}
