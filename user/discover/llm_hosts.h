/* SPDX-License-Identifier: MIT */
/* Host names of LLM and tool providers: a built-in list plus patterns
 * from --llm-host (fnmatch(3) globs, case-insensitive). A TLS ClientHello
 * naming one of them promotes its process to a full target. */
#ifndef AR_DISCOVER_LLM_HOSTS_H
#define AR_DISCOVER_LLM_HOSTS_H

#include <stdbool.h>

#define LLM_HOSTS_MAX 64

struct llm_hosts {
	const char *extra[LLM_HOSTS_MAX]; /* --llm-host patterns, not owned */
	unsigned n_extra;
};

/* Adds a pattern (kept by pointer). Returns 0, or -ENOSPC and nothing
 * added beyond LLM_HOSTS_MAX. */
int llm_hosts__add(struct llm_hosts *h, const char *pattern);

/* True when host matches a built-in provider host or an added pattern. A
 * trailing dot and a :port are ignored. */
bool llm_hosts__match(const struct llm_hosts *h, const char *host);

#endif
