/* SPDX-License-Identifier: MIT */
/* Owns the loaded BPF object: open -> configure -> load -> attach, target
 * maps, per-file OpenSSL uprobes and the kernel statistics. */
#ifndef AR_CAPTURE_PROBES_H
#define AR_CAPTURE_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include <agentrace/events.h>

#include "discover/tls_lib.h"

struct probes_cfg {
	const pid_t *pids;        /* --pid targets */
	size_t n_pids;
	const char *const *comms; /* --comm targets */
	size_t n_comms;
	const uint64_t *cgroups;  /* --cgroup targets (cgroup v2 ids) */
	size_t n_cgroups;
	uint32_t ringbuf_bytes;   /* power of two; 0 = default 8 MiB */
	bool scoped_uprobes;      /* with targets: uprobes inside targets only */
	bool promote;             /* targets also by promotion (discover/promote.h);
				   * implies scoped uprobes */
	uint32_t bounded_bytes;   /* with promote: an untargeted process's
				   * reads and writes are copied up to this
				   * many bytes each (bpf/bounded.bpf.h) */
	bool inject;              /* --inject-traceparent: also load user/inject/ */
	uint32_t idle_detach_ms;  /* explicit targets (no promote): syscall
				   * tracepoints only while a target lives, off
				   * this long after the last (capture/tp_gate.h);
				   * 0: always attached */
};

struct probes;

/* Loads and attaches every tracepoint. Returns 0 and *out, or -errno. */
int probes__open(const struct probes_cfg *cfg, struct probes **out);
void probes__close(struct probes *p);

/* The --inject-traceparent programs, or NULL when not loaded. */
struct inject *probes__inject(const struct probes *p);

/* Ring buffer map fd, for the reader. */
int probes__ringbuf_fd(const struct probes *p);

/* True when every process is a target (no --pid/--comm/--cgroup). */
bool probes__targets_all(const struct probes *p);

/* True when uprobes are attached inside each target only
 * (--scoped-uprobes with targets chosen). */
bool probes__scoped(const struct probes *p);

/* The exec hold's map (bpf/exec_hold.bpf.h; discover/exec_hold.h), or -1
 * when it is off: on in scoped mode with --comm/--cgroup selectors. */
int probes__exec_hold_fd(const struct probes *p);
/* Stops the kernel from stopping processes (at shutdown). */
void probes__exec_hold_off(struct probes *p);

/* Puts connection (tgid, fd), open before the start, into the kernel's
 * conns map as bounded (discover/conn_seed.h), with a new conn_id in
 * *conn_id. Returns 0, or -errno (-EEXIST: the kernel has it already). */
int probes__seed_conn(struct probes *p, uint32_t tgid, int fd, uint64_t *conn_id);

/* True when untargeted processes report their first writes for promotion. */
bool probes__promoting(const struct probes *p);

/* Marks tgid as a target (used for processes that predate the daemon).
 * Returns 0 or -errno. */
int probes__add_target(struct probes *p, uint32_t tgid);

/* Makes tgid a target until it exits, across exec (promotion).
 * Returns 0 or -errno. */
int probes__promote(struct probes *p, uint32_t tgid);

/* Bytes of each read/write of an untargeted process copied; 0 when such
 * processes are not copied at all (no bounded capture). */
uint32_t probes__bounded_bytes(const struct probes *p);

/* Tells the kernel to stop copying connection conn_id of an untargeted
 * process (bpf/bounded.bpf.h verdicts). Returns 0 or -errno. */
int probes__set_verdict(struct probes *p, uint64_t conn_id);

/* True when tgid is a target now (always, but for ourselves, in all mode). */
bool probes__is_target(const struct probes *p, uint32_t tgid);

/* Attaches the uprobes of plan (discover/tls_lib.h) to the file at path,
 * for all processes (pid <= 0) or only inside process pid: other processes
 * then carry no breakpoint at all. Returns an opaque handle through *out,
 * or -errno with nothing attached. */
struct tls_attach;
int probes__attach_tls(struct probes *p, const char *path, const struct tls_plan *plan,
		       int pid, struct tls_attach **out);
void probes__detach_tls(struct tls_attach *a);

/* Sums the per-CPU counters into out[AR_STAT_MAX]. Returns 0 or -errno. */
int probes__stats(const struct probes *p, uint64_t out[AR_STAT_MAX]);

/* Entries of the targets map (traced processes and their threads), at
 * most cap; -1 when every process is a target. */
long probes__count_targets(const struct probes *p, long cap);

/* Lazy syscall tracepoints (capture/tp_gate.h), no-ops without them:
 * _handle attaches on a target's exec or fork record, at once; _tick
 * attaches while a target lives and detaches after the idle delay (call
 * it often: before the ready file, and every loop). */
void probes__handle(struct probes *p, const void *rec, size_t len);
void probes__tick(struct probes *p);

/* The "tracepoints:" stats line, when lazy. */
void probes__print_stats(const struct probes *p, FILE *f);

extern const char *const ar_stat_names[AR_STAT_MAX];

#endif
