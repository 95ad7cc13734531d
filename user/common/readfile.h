/* SPDX-License-Identifier: MIT */
/* Whole-file reads of small /proc and /sys files. */
#ifndef AR_COMMON_READFILE_H
#define AR_COMMON_READFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Reads up to cap-1 bytes of path into buf and NUL-terminates it. Returns
 * the byte count, or -errno with buf untouched. */
ssize_t readfile__small(const char *path, char *buf, size_t cap);

#endif
