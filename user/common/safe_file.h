/* SPDX-License-Identifier: MIT */
/*
 * Files that hold captured plaintext (capture files, --dump-streams, the
 * file exporter): created owner-only (0600 files, 0700 directories), and
 * never through a symlink or onto a file someone else planted. The daemon
 * runs as root, so a symlink at the output path would otherwise let any
 * user redirect (and truncate) a root-owned write.
 */
#ifndef AR_COMMON_SAFE_FILE_H
#define AR_COMMON_SAFE_FILE_H

#include <stdbool.h>
#include <stdio.h>

/* Opens path for writing, creating it 0600. The last component must not
 * be a symlink (O_NOFOLLOW); an existing file must be a regular file owned
 * by us with one link, and is then made 0600 and truncated unless append.
 * Returns an fd (O_CLOEXEC), or -errno: -ELOOP for a symlink, -EPERM for
 * a file that is not ours, -EMLINK for a hard link, -EINVAL for a
 * non-regular file. */
int safe_file__open(const char *path, bool append);

/* safe_file__open as a stdio stream ("w" or "a"). NULL with errno set. */
FILE *safe_file__fopen(const char *path, bool append);

/* mkdir -p, creating missing directories 0700. The last component must
 * be a directory, not a symlink to one. Returns 0 or -errno. */
int safe_file__mkdirs(const char *dir);

#endif
