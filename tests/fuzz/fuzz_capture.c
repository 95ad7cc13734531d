// SPDX-License-Identifier: MIT
/* libFuzzer harness for capture-file reading and the connection table:
 * any bytes are a candidate capture file. The file is one memfd rewritten
 * per input (a tmpfile created and unlinked per input cost half the run
 * time in ext4), and the table is small, so that its 16k-connection slot
 * array is not cleared per input and eviction is reached. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/file.h"
#include "conn/table.h"

static void on_data(void *ctx, struct conn_meta *c, int dir, const uint8_t *d, size_t n,
		    uint64_t ts, uint32_t tid)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	struct stream_sink sink = { .on_data = on_data };
	struct conn_table_cfg cfg = { .max_conns = 8, .max_pending = 4 };
	struct capture_reader *r = NULL;
	struct conn_table *t;
	struct capture_info ci;
	const void *rec;
	size_t len;

	if (fd < 0) {
		fd = memfd_create("fuzz-capture", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	t = conn_table__new(&cfg, &sink);
	if (capture_reader__open(path, &ci, &r) == 0)
		while (capture_reader__next(r, &rec, &len) > 0)
			conn_table__handle(t, rec, len);
	capture_reader__close(r);
	conn_table__free(t);
	return 0;
}
