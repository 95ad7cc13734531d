/* SPDX-License-Identifier: MIT */
/* Verdicts on the connections of processes that are not targets (bounded
 * capture, bpf/bounded.bpf.h): the first plaintext message of each
 * direction decides. An LLM, MCP or agent request keeps the connection
 * (and promotes its process); anything else (other HTTP, other protocols)
 * is uninteresting, and the kernel stops copying it. Pure: the caller
 * checks targets and writes the verdict map. */
#ifndef AR_DISCOVER_VERDICT_H
#define AR_DISCOVER_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discover/llm_hosts.h"
#include "discover/promote.h"

enum verdict {
	VERDICT_WAIT = 0, /* not a record that decides (not the first bytes) */
	VERDICT_SKIP,     /* uninteresting: stop copying it */
	VERDICT_KEEP,     /* an LLM/MCP request: promote its process */
};

struct verdict_stats {
	uint64_t skip;       /* verdicts written */
	uint64_t keep;       /* connections kept (their process promoted) */
	uint64_t errors;     /* verdict map writes that failed */
	uint64_t calls_target; /* none written: the connection goes to a target */
	uint64_t held;       /* held a tick: a loopback peer not yet known */
	uint64_t held_early; /* released early: their acceptor's record came */
};

/* When a skip verdict on an untargeted process's client connection is
 * written (the caller has judged it VERDICT_SKIP). */
enum verdict_when {
	VERDICT_NOW,   /* its server is known not to be a target, or is remote */
	VERDICT_HOLD,  /* a loopback peer whose accept is not seen yet */
	VERDICT_NEVER, /* its server is a target: keep it for its CLIENT span */
};

/* local: the connection goes to a loopback address; acceptor: the process
 * that accepted it (0: not seen); acceptor_target: that one is a target. */
enum verdict_when verdict__when(bool local, uint32_t acceptor, bool acceptor_target);

/* Judges one AR_EV_DATA record (any other record, a TLS one or one not at
 * the start of its direction is VERDICT_WAIT). For VERDICT_KEEP, *why is
 * the promotion reason and what names it (NUL-terminated, may be cut). */
enum verdict verdict__judge(const struct llm_hosts *hosts, const void *rec, size_t len,
			    enum promote_reason *why, char *what, size_t cap);

#endif
