// SPDX-License-Identifier: MIT
/* libFuzzer harness for capture-file reading and the connection table:
 * any bytes are a candidate capture file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capture/file.h"
#include "conn/table.h"

static void on_data(void *ctx, struct conn_meta *c, int dir, const uint8_t *d, size_t n,
		    uint64_t ts, uint32_t tid)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-capture-XXXXXX";
	struct stream_sink sink = { .on_data = on_data };
	struct capture_reader *r = NULL;
	struct conn_table *t;
	struct capture_info ci;
	const void *rec;
	size_t len;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	t = conn_table__new(NULL, &sink);
	if (capture_reader__open(path, &ci, &r) == 0)
		while (capture_reader__next(r, &rec, &len) > 0)
			conn_table__handle(t, rec, len);
	capture_reader__close(r);
	conn_table__free(t);
	unlink(path);
	return 0;
}
