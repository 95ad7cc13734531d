// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/readfile.h"

ssize_t readfile__small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while (total < (ssize_t)cap - 1 && (n = read(fd, buf + total, cap - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = 0;
	return total;
}
