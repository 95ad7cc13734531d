/* SPDX-License-Identifier: MIT */
/* Finds the files a process maps that may carry TLS code: any libssl, and
 * the executable itself (static OpenSSL in node, BoringSSL in Bun, Go). */
#ifndef AR_DISCOVER_PROC_MAPS_H
#define AR_DISCOVER_PROC_MAPS_H

#include <stdint.h>
#include <stdio.h>

struct tls_files;

/* Reads /proc/PID/maps and hands each candidate to tls_files__add as
 * /proc/PID/root/<path>, so files in other mount namespaces resolve.
 * Returns the number of files newly probed, or -errno (-ENOENT: gone). */
int proc_maps__scan(struct tls_files *t, uint32_t pid);

/* The parsing alone, for tests and fuzzing: calls fn once per distinct
 * candidate path (at most 16) in the maps text read from f; exe is the
 * process's executable path ("" if unknown). Returns how many calls
 * returned > 0. */
int proc_maps__candidates(FILE *f, const char *exe,
			  int (*fn)(void *ctx, const char *path), void *ctx);

/* Calls fn with each candidate file of pid, as /proc/PID/root/<path>, once
 * per path. Stops when fn returns non-zero and returns that; otherwise 0,
 * or -errno when the maps cannot be read. */
int proc_maps__for_each_candidate(uint32_t pid, int (*fn)(void *ctx, const char *path),
				  void *ctx);

/* Calls fn for every numeric entry of /proc. Stops early when fn returns
 * non-zero and returns that value. */
int proc_maps__for_each_pid(int (*fn)(uint32_t pid, void *ctx), void *ctx);

#endif
