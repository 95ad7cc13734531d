/* SPDX-License-Identifier: MIT */
/*
 * --inject-traceparent: owns bpf/inject.bpf.c (open -> configure -> load
 * -> attach), which puts traceparent/baggage into the outbound plaintext
 * HTTP/1.1 requests of targeted processes. Separate from capture/probes so
 * the default mode never loads sockops/sk_msg programs (CAP_NET_ADMIN).
 * Not thread-safe.
 */
#ifndef AR_INJECT_INJECT_H
#define AR_INJECT_INJECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <agentrace/inject.h>

struct inject_cfg {
	int ringbuf_fd;      /* capture's ring: AR_EV_INJECT records go there */
	int targets_fd;      /* capture's targets map */
	int sk_marks_fd;     /* capture's sk_marks: server sockets and their closes */
	bool targ_all;       /* every process but ourselves is a target */
	uint32_t self_tgid;
	const char *cgroup;  /* cgroup v2 directory to attach to; NULL: the root */
	struct tp_gate *gate; /* lazy syscall tracepoints: the serve programs
			       * attach with capture's, after them; NULL:
			       * attached here, for good */
};

struct inject;
struct tp_gate;

/* Loads and attaches. Returns 0 and *out, or -errno with nothing left
 * attached (-EPERM without CAP_NET_ADMIN, -ENOENT without cgroup v2). */
int inject__open(const struct inject_cfg *cfg, struct inject **out);
/* Detaches; sockets already given headers keep them, no new ones do. */
void inject__close(struct inject *in);

/* The thread tid serves a request of this trace: its next outbound
 * requests carry it. Returns 0 or -errno (the map is full: they start
 * new traces, which the CLIENT spans then follow). */
int inject__set_ctx(struct inject *in, uint32_t tid, const struct ar_inject_ctx *ctx);
/* Returns 0 or -ENOENT. */
int inject__clear_ctx(struct inject *in, uint32_t tid);

/* Sums the per-CPU counters. Returns 0 or -errno. */
int inject__stats(const struct inject *in, uint64_t out[AR_INJ_STAT_MAX]);
/* One "inject: name=value ..." line (also the self-metrics). */
void inject__print_stats(const struct inject *in, FILE *f);

#endif
