/* SPDX-License-Identifier: MIT */
/*
 * A per-thread cache of small freed blocks in front of malloc, for what
 * every traced call builds and drops by the hundred: jansson's values
 * (objects, hashtable buckets, key pairs, strings) and span attributes.
 * Dropping them at once overflows glibc's per-thread cache (7 blocks a
 * size) and sends most frees down its slow path; the daemon-cost bench
 * measured malloc and free at a fifth of the daemon's work per call.
 *
 * Bounds: at most SMALL_ALLOC_KEEP blocks of each of SMALL_ALLOC_CLASSES
 * sizes (16 to 256 bytes) per thread, about 0.6 MiB at worst; bigger
 * blocks, and blocks beyond the bound, go straight back to free(). Every block is a plain malloc()
 * block: free() may release what small_alloc__malloc returned, and
 * small_alloc__free takes any malloc() block, from any thread, so a value
 * built in one thread may be freed in another. A thread's cache is
 * flushed when the thread exits.
 */
#ifndef AR_COMMON_SMALL_ALLOC_H
#define AR_COMMON_SMALL_ALLOC_H

#include <stddef.h>

#define SMALL_ALLOC_STEP 16
#define SMALL_ALLOC_CLASSES 16 /* blocks of 16, 32, ... 256 bytes */
#define SMALL_ALLOC_KEEP 256   /* blocks kept per size and thread */

/* malloc(n), from the calling thread's cache when it holds a block. */
void *small_alloc__malloc(size_t n);
/* free(p), keeping p in the calling thread's cache when there is room. */
void small_alloc__free(void *p);
/* strndup(s, n) through the cache; NULL on -ENOMEM. */
char *small_alloc__strndup(const char *s, size_t n);

/* Makes jansson allocate through the cache. Call once, before any thread
 * that uses jansson starts; values allocated before stay valid. */
void small_alloc__install_jansson(void);

/* Blocks the calling thread's cache holds, for tests. */
size_t small_alloc__cached(void);

#endif
