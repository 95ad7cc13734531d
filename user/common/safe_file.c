// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/safe_file.h"

int safe_file__open(const char *path, bool append)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (append ? O_APPEND : 0),
		  0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	err = !S_ISREG(st.st_mode) ? -EINVAL : st.st_uid != geteuid() ? -EPERM
	      : st.st_nlink != 1  ? -EMLINK : 0;
	if (err)
		goto cleanup;
	if ((st.st_mode & 0777) != 0600 && fchmod(fd, 0600)) {
		err = -errno;
		goto cleanup;
	}
	if (!append && ftruncate(fd, 0)) {
		err = -errno;
		goto cleanup;
	}
	return fd;
cleanup:
	close(fd);
	return err;
}

FILE *safe_file__fopen(const char *path, bool append)
{
	int fd = safe_file__open(path, append);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, append ? "a" : "w");
	if (!f)
		close(fd);
	return f;
}

int safe_file__mkdirs(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
}
