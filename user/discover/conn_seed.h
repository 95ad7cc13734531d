/* SPDX-License-Identifier: MIT */
/* Agent-first mode: TCP connections that were already established when
 * the daemon started get bounded capture too (issue #13). The kernel
 * makes a conns entry for an untargeted process only at connect/accept,
 * so an agent's keep-alive connection to a plaintext LLM gateway opened
 * before the start stayed invisible until it reconnected. At start, each
 * untargeted process's established TCP sockets (/proc/PID/fd, matched by
 * inode to /proc/PID/net/tcp{,6} once per network namespace) are put into
 * conns as bounded, with a connection record for the pipeline; from its
 * next read or write such a connection is copied, judged and skipped or
 * promoted exactly like one opened after start. Nothing is added to any
 * syscall: the cost is this one scan. A TLS connection is ciphertext by
 * then: it is marked at its first record and never copied. At most
 * CONN_SEED_MAX connections. */
#ifndef AR_DISCOVER_CONN_SEED_H
#define AR_DISCOVER_CONN_SEED_H

#include <stdint.h>

#include "discover/discover.h" /* discover_emit_fn */

#define CONN_SEED_MAX 16384

struct probes;

struct conn_seed_stats {
	uint64_t seeded;   /* connections put into conns */
	uint64_t sockets;  /* socket fds looked at */
	uint64_t netns;    /* network namespaces read */
	uint64_t failed;   /* conns updates refused (full, or the kernel's first) */
	uint64_t ns;       /* wall time of the scan */
};

struct ar_tuple;

/* Parses one entry line of /proc/net/tcp (v6 false) or tcp6: the local
 * and remote address and port into *t, the socket's inode and TCP state
 * (1: established). Returns 0, or -EINVAL for the header or a bad line. */
int conn_seed__parse_line(const char *line, int v6, struct ar_tuple *t, uint64_t *inode,
			  unsigned *state);

/* Seeds every untargeted process's established TCP connections. Returns
 * 0, or -errno when /proc cannot be read; per-process failures are
 * counted and skipped. */
int conn_seed__run(struct probes *p, discover_emit_fn emit, void *ctx,
		   struct conn_seed_stats *st);

#endif
