// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for ELF symbol parsing (discovery reads every file a
 * traced process maps as libssl*, so a tenant controls its bytes): the
 * input is written to a memfd and read through /proc/self/fd.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "discover/elf_syms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct tls_syms syms;

	if (fd < 0) {
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	elf_syms__find_tls(path, &syms);
	return 0;
}
