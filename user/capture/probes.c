// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <agentrace/conns.h>

#include "capture.skel.h"
#include "capture/gate_hold.h"
#include "capture/probes.h"
#include "capture/ring.h"
#include "capture/tp_check.h"
#include "capture/tp_gate.h"
#include "capture/uprobe_multi.h"
#include "capture/uprobe_tracefs.h"
#include "inject/inject.h"
#include "common/caps.h"
#include "common/log.h"

const char *const ar_stat_names[AR_STAT_MAX] = {
	[AR_STAT_EVENTS] = "events",
	[AR_STAT_BYTES] = "bytes",
	[AR_STAT_DROP_RINGBUF] = "drop_ringbuf_full",
	[AR_STAT_DROP_READ] = "drop_read_failed_bytes",
	[AR_STAT_DROP_TOO_BIG] = "drop_too_big_bytes",
	[AR_STAT_DROP_CONN_MAP] = "drop_conn_map",
	[AR_STAT_DROP_ARGS_MAP] = "drop_args_map",
	[AR_STAT_TLS_CIPHERTEXT] = "tls_ciphertext_bytes_skipped",
	[AR_STAT_TLS_NESTED_LINK] = "tls_linked_to_socket",
	[AR_STAT_UNTARGETED] = "untargeted",
	[AR_STAT_CONN_OPEN] = "conn_open",
	[AR_STAT_CONN_CLOSE] = "conn_close",
	[AR_STAT_PROC_EXEC] = "proc_exec",
	[AR_STAT_DROP_SCRATCH] = "drop_scratch",
	[AR_STAT_TLS_BIO_LINK] = "tls_bio_link",
	[AR_STAT_DROP_SHED] = "drop_shed_bytes",
	[AR_STAT_BOUNDED_BYTES] = "bounded_bytes_skipped",
	[AR_STAT_VERDICT_HIT] = "verdict_hit",
	[AR_STAT_BOUNDED_REOPEN] = "bounded_reopen",
	[AR_STAT_AEAD_UNLINKED] = "tls_record_unlinked",
	[AR_STAT_AEAD_NOT_DATA] = "tls_record_not_data",
	[AR_STAT_AEAD_LOST] = "tls_record_lost",
	[AR_STAT_AEAD_TLS12] = "tls_record_tls12_skipped",
	[AR_STAT_AEAD_IN_SSL] = "tls_record_in_ssl_call",
	[AR_STAT_SOCK_UNDECODED] = "sock_undecoded_bytes",
};

struct probes {
	struct capture_bpf *skel;
	bool all;
	bool scoped;  /* uprobes per target process */
	int warm_fd; /* per-task dummy perf event on ourselves, or -1 */
	bool tracefs_uprobes; /* the perf uprobe PMU refused us once */
	bool multi;   /* uprobes through uprobe_multi links (capture/uprobe_multi.h) */
	bool promote; /* AR_EV_FIRST_WRITE records for promotion */
	uint32_t bounded_bytes; /* untargeted calls copied up to this; 0 = none */
	struct inject *inject; /* --inject-traceparent, or NULL */
	struct tp_gate *gate;  /* lazy syscall tracepoints, or NULL: always on */
	struct gate_hold *hold; /* targets stopped until the gate is attached, or NULL */
	uint64_t gate_checked_ns; /* the last liveness check of targets */
	uint32_t live_tgid;       /* the target that check found alive, or 0 */
	bool exec_hold; /* selector matches stop at their first connect until
			 * probed (bpf/exec_hold.bpf.h) */
};

/* The links of one file's plan: per plan entry (perf or tracefs), or one
 * uprobe_multi link fd per program. */
struct tls_attach {
	struct bpf_link *links[TLS_PLAN_MAX];
	char events[TLS_PLAN_MAX][UPROBE_EVENT_MAX]; /* tracefs-defined, or "" */
	int multi_fds[TLS_PROG_MAX];                 /* 0: none */
};

/* One uprobe: through the perf uprobe PMU, or through tracefs when the
 * kernel reserves that PMU for CAP_SYS_ADMIN. Returns 0 or -errno. */
static int attach_one(struct probes *p, struct bpf_program *prog, bool ret, const char *path,
		      size_t off, int pid, struct bpf_link **link, char event[UPROBE_EVENT_MAX])
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret);

	event[0] = 0;
	if (!p->tracefs_uprobes) {
		*link = bpf_program__attach_uprobe_opts(prog, pid > 0 ? pid : -1, path, off, &opts);
		if (*link)
			return 0;
		if (errno != EACCES && errno != EPERM)
			return -errno;
		info("the perf uprobe PMU needs CAP_SYS_ADMIN here; defining uprobes through "
		     "tracefs instead");
		p->tracefs_uprobes = true;
	}
	*link = uprobe_tracefs__attach(prog, ret, path, off, pid, event);
	return *link ? 0 : -errno;
}

/* After an insertion into targets: every task's cached "untargeted" in
 * the kernel is stale (bpf/fastpath.bpf.h). */
static void targets_changed(struct probes *p)
{
	__atomic_fetch_add(&p->skel->bss->targets_gen, 1, __ATOMIC_SEQ_CST);
}

static int set_targets(struct probes *p, const struct probes_cfg *cfg)
{
	uint8_t pinned = 2, one = 1; /* TARGET_PINNED, TARGET_MATCHED */
	int err;

	for (size_t i = 0; i < cfg->n_pids; i++) {
		uint32_t pid = cfg->pids[i];

		err = bpf_map__update_elem(p->skel->maps.targets, &pid, sizeof(pid),
					   &pinned, sizeof(pinned), BPF_ANY);
		if (err)
			return err;
		targets_changed(p);
	}
	for (size_t i = 0; i < cfg->n_comms; i++) {
		char comm[AR_COMM_LEN] = {};

		strncpy(comm, cfg->comms[i], sizeof(comm) - 1);
		err = bpf_map__update_elem(p->skel->maps.target_comms, comm, sizeof(comm),
					   &one, sizeof(one), BPF_ANY);
		if (err)
			return err;
	}
	for (size_t i = 0; i < cfg->n_cgroups; i++) {
		err = bpf_map__update_elem(p->skel->maps.target_cgroups, &cfg->cgroups[i],
					   sizeof(uint64_t), &one, sizeof(one), BPF_ANY);
		if (err)
			return err;
	}
	return 0;
}

/* Tracepoint attachment looks up event ids in tracefs. Hosts that do not
 * mount it (this CI machine; minimal VMs) get it mounted here; in a pod the
 * DaemonSet mounts the host's /sys/kernel/tracing instead. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events/syscalls", &st) == 0 ||
	    stat("/sys/kernel/debug/tracing/events/syscalls", &st) == 0)
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		warn("tracefs is not mounted at /sys/kernel/tracing and mounting it failed "
		     "(%s); syscall tracepoints cannot attach", strerror(errno));
}

/* The first per-task perf event on the system enables the scheduler's perf
 * hooks and waits for an RCU grace period (kernel/events/core.c,
 * account_event), 20-30 ms on the development VM, and the hooks go off again
 * a second after the last one closes. Scoped uprobes are per-task events,
 * so without this every new target would wait that long for its probes and
 * miss its first TLS call. A dummy software event on ourselves keeps the
 * hooks on; they are on anyway whenever a target has probes. */
static int warm_task_events(void)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
					.config = PERF_COUNT_SW_DUMMY, .disabled = 1 };
	int fd = syscall(__NR_perf_event_open, &attr, getpid(), -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		warn("failed to open a per-task perf event (%s): each new target's uprobes "
		     "attach one RCU grace period later", strerror(errno));
	return fd;
}

/* Scoped uprobes hold two descriptors per probe per target process (the
 * perf event and its link), about 20 per (target, TLS file): lift the soft
 * descriptor limit to the hard one, which needs no privilege. */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &r))
			warn("failed to raise the open file limit: %s", strerror(errno));
	}
}

int probes__open(const struct probes_cfg *cfg, struct probes **out)
{
	struct probes *p = calloc(1, sizeof(*p));
	struct bpf_program *prog;
	uint32_t ring;
	int err;

	if (!p)
		return -ENOMEM;
	p->warm_fd = -1;
	p->skel = capture_bpf__open();
	if (!p->skel) {
		err = -errno;
		warn("failed to open BPF object: %s", strerror(-err));
		goto cleanup;
	}
	err = tp_check__kernel(p->skel->obj);
	if (err)
		goto cleanup;
	p->promote = cfg->promote;
	/* first writes before they leave: only promotion reads them */
	bpf_program__set_autoload(p->skel->progs.sock_send_begin_tp, p->promote);
	p->all = !cfg->n_pids && !cfg->n_comms && !cfg->n_cgroups && !p->promote;
	p->skel->rodata->targ_all = p->all;
	p->skel->rodata->promote_first_write = p->promote;
	p->bounded_bytes = p->promote ? cfg->bounded_bytes : 0;
	p->skel->rodata->bounded_bytes = p->bounded_bytes;
	p->scoped = !p->all && (cfg->scoped_uprobes || p->promote);
	/* Also without scoped probes: the shared libssl is probed for every
	 * process at start, but a target's own TLS code (node's OpenSSL, a
	 * static binary) is located at its exec, 76 ms for node here, and its
	 * first request was lost when it connected sooner. Continuing a held
	 * process of another user needs CAP_KILL. */
	p->exec_hold = !p->all && (cfg->n_comms || cfg->n_cgroups) && caps__have(CAPS_NR_KILL);
	if (p->scoped && (cfg->n_comms || cfg->n_cgroups) && !p->exec_hold)
		warn("no CAP_KILL: a --comm/--cgroup target that calls right after its exec may "
		     "lose that first call (no exec hold, docs/security.md)");
	p->skel->rodata->self_tgid = getpid();
	p->skel->rodata->targ_comm = cfg->n_comms > 0;
	p->skel->rodata->targ_cgroup = cfg->n_cgroups > 0;
	ring = cfg->ringbuf_bytes ? cfg->ringbuf_bytes : 8u << 20;
	err = bpf_map__set_max_entries(p->skel->maps.events, ring);
	if (err)
		goto cleanup;
	p->skel->rodata->wakeup_shift = ring__wakeup_shift(ring);
	/* Uprobes attach per TLS file later, by probes__attach_tls(). Scoped,
	 * through uprobe_multi links where the kernel has them (one syscall
	 * per program and process, no perf event, no CAP_SYS_ADMIN). The
	 * shared probes of the other modes keep perf events: with
	 * pid-less uprobe_multi links node SDK calls lost a span now and then
	 * in the e2e suite (test_genai_openai_sdk_chat, 1 of 9), not yet
	 * understood. */
	p->multi = p->scoped && !getenv("AGENTRACE_NO_UPROBE_MULTI") &&
		   uprobe_multi__supported();
	if (p->multi)
		info("uprobes attach through uprobe_multi links (one bpf() call per program and "
		     "process, no perf event, CAP_SYS_ADMIN not needed)");
	bpf_object__for_each_program(prog, p->skel->obj) {
		const char *sec = bpf_program__section_name(prog);

		if (strncmp(sec, "uprobe", 6) == 0 || strncmp(sec, "uretprobe", 9) == 0) {
			bpf_program__set_autoattach(prog, false);
			if (p->multi)
				bpf_program__set_expected_attach_type(prog,
								      UPROBE_MULTI_ATTACH_TYPE);
		}
	}
	/* Per-task perf events need the warm hook and two fds per probe;
	 * uprobe_multi links need neither. */
	if (p->scoped && !p->multi) {
		p->warm_fd = warm_task_events();
		raise_nofile();
	}
	err = capture_bpf__load(p->skel);
	if (err) {
		warn("failed to load BPF object: %s", strerror(-err));
		goto cleanup;
	}
	err = set_targets(p, cfg);
	if (err) {
		warn("failed to set targets: %s", strerror(-err));
		goto cleanup;
	}
	if (p->exec_hold)
		p->skel->bss->exec_hold_on = 1;
	ensure_tracefs();
	uprobe_tracefs__remove_stale();
	/* Explicit targets only: agent-first and --trace-all classify every
	 * process, so their syscall tracepoints stay on. With
	 * --inject-traceparent, inject's syscall programs are gated too,
	 * attached after capture's (tp_gate__add). */
	if (!p->all && !p->promote && cfg->idle_detach_ms) {
		p->gate = tp_gate__new(p->skel->obj, cfg->idle_detach_ms,
				       &p->skel->bss->tp_gate_live);
		if (!p->gate) {
			err = -ENOMEM;
			goto cleanup;
		}
		/* continuing a held process of another user needs CAP_KILL;
		 * AGENTRACE_NO_GATE_HOLD=1: off, for the bench's same-run
		 * comparison (bench/lib/lazy_attach.py) */
		if (caps__have(CAPS_NR_KILL) && !getenv("AGENTRACE_NO_GATE_HOLD"))
			p->hold = gate_hold__new(bpf_map__fd(p->skel->maps.gate_held),
						 &p->skel->bss->gate_hold_on,
						 &p->skel->bss->gate_holds,
						 &p->skel->bss->gate_hold_failed);
		else if (!getenv("AGENTRACE_NO_GATE_HOLD"))
			warn("no CAP_KILL: a target that starts while the syscall tracepoints "
			     "are not attached may lose its first calls (no gate hold)");
	}
	err = capture_bpf__attach(p->skel);
	if (err) {
		warn("failed to attach tracepoints: %s", strerror(-err));
		goto cleanup;
	}
	if (cfg->inject) {
		struct inject_cfg ic = {
			.ringbuf_fd = bpf_map__fd(p->skel->maps.events),
			.targets_fd = bpf_map__fd(p->skel->maps.targets),
			.sk_marks_fd = bpf_map__fd(p->skel->maps.sk_marks),
			.targ_all = p->all, .self_tgid = (uint32_t)getpid(),
			.gate = p->gate,
		};

		err = inject__open(&ic, &p->inject);
		if (err)
			goto cleanup;
	}
	*out = p;
	return 0;
cleanup:
	probes__close(p);
	return err;
}

void probes__close(struct probes *p)
{
	if (!p)
		return;
	gate_hold__free(p->hold); /* no one stays stopped */
	tp_gate__free(p->gate);   /* before inject's programs go: it holds links */
	inject__close(p->inject);
	capture_bpf__destroy(p->skel);
	if (p->warm_fd >= 0)
		close(p->warm_fd);
	free(p);
}

struct inject *probes__inject(const struct probes *p)
{
	return p->inject;
}

int probes__ringbuf_fd(const struct probes *p)
{
	return bpf_map__fd(p->skel->maps.events);
}

bool probes__targets_all(const struct probes *p)
{
	return p->all;
}

bool probes__scoped(const struct probes *p)
{
	return p->scoped;
}

int probes__exec_hold_fd(const struct probes *p)
{
	return p->exec_hold ? bpf_map__fd(p->skel->maps.exec_hold) : -1;
}

void probes__exec_hold_off(struct probes *p)
{
	__atomic_store_n(&p->skel->bss->exec_hold_on, 0, __ATOMIC_SEQ_CST);
}

int probes__seed_conn(struct probes *p, uint32_t tgid, int fd, uint64_t *conn_id)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state st = { .role = AR_ROLE_UNKNOWN, .cut = CUT_BOUNDED };
	int err;

	/* the same counter as the kernel's new_conn_id() */
	st.conn_id = __atomic_add_fetch(&p->skel->bss->next_conn_id, 1, __ATOMIC_SEQ_CST);
	err = bpf_map__update_elem(p->skel->maps.conns, &k, sizeof(k), &st, sizeof(st),
				   BPF_NOEXIST);
	if (!err)
		*conn_id = st.conn_id;
	return err;
}

bool probes__promoting(const struct probes *p)
{
	return p->promote;
}

/* v: TARGET_MATCHED (1) or TARGET_PROMOTED (3) of bpf/proc.bpf.h. */
static int put_target(struct probes *p, uint32_t tgid, uint8_t v)
{
	int err;

	if (p->all)
		return 0;
	err = bpf_map__update_elem(p->skel->maps.targets, &tgid, sizeof(tgid), &v, sizeof(v),
				   BPF_NOEXIST);
	if (!err)
		targets_changed(p);
	return err == -EEXIST ? 0 : err;
}

int probes__add_target(struct probes *p, uint32_t tgid)
{
	return put_target(p, tgid, 1);
}

int probes__promote(struct probes *p, uint32_t tgid)
{
	return put_target(p, tgid, 3);
}

uint32_t probes__bounded_bytes(const struct probes *p)
{
	return p->bounded_bytes;
}

int probes__set_verdict(struct probes *p, uint64_t conn_id)
{
	uint8_t one = 1;

	return bpf_map__update_elem(p->skel->maps.verdicts, &conn_id, sizeof(conn_id), &one,
				    sizeof(one), BPF_ANY);
}

bool probes__is_target(const struct probes *p, uint32_t tgid)
{
	uint8_t v;

	if (p->all)
		return tgid != (uint32_t)getpid();
	return bpf_map__lookup_elem(p->skel->maps.targets, &tgid, sizeof(tgid), &v, sizeof(v),
				    0) == 0;
}

/* One uprobe_multi link per program of the plan, with all its offsets. */
static int attach_multi(struct probes *p, const char *path, const struct tls_plan *plan,
			int pid, struct tls_attach *a)
{
	uint64_t offs[TLS_PLAN_MAX];

	for (int prog = 0; prog < TLS_PROG_MAX; prog++) {
		const struct tls_prog_desc *d = &tls_progs[prog];
		struct bpf_program *bp;
		size_t n = 0;
		int fd;

		for (size_t i = 0; i < plan->n && i < TLS_PLAN_MAX; i++)
			if (plan->probes[i].prog == prog)
				offs[n++] = plan->probes[i].off;
		if (!n)
			continue;
		bp = bpf_object__find_program_by_name(p->skel->obj, d->bpf_name);
		if (!bp)
			return -ENOENT;
		fd = uprobe_multi__attach(bpf_program__fd(bp), path, offs, n, d->retprobe, pid);
		if (fd < 0)
			return fd;
		a->multi_fds[prog] = fd;
	}
	return 0;
}

int probes__attach_tls(struct probes *p, const char *path, const struct tls_plan *plan,
		       int pid, struct tls_attach **out)
{
	struct tls_attach *a = calloc(1, sizeof(*a));
	int err = 0;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n && i < TLS_PLAN_MAX; i++)
		if (plan->probes[i].prog >= TLS_PROG_MAX) {
			err = -EINVAL;
			goto cleanup;
		}
	/* rustls's record probes need each thread's last TLS read noted */
	for (size_t i = 0; i < plan->n && i < TLS_PLAN_MAX; i++)
		if (plan->probes[i].prog == TLS_PROG_AEAD_INIT)
			p->skel->bss->aead_on = 1;
	if (p->multi) {
		err = attach_multi(p, path, plan, pid, a);
		if (err)
			goto cleanup;
		*out = a;
		return 0;
	}
	for (size_t i = 0; i < plan->n && i < TLS_PLAN_MAX; i++) {
		const struct tls_prog_desc *d;
		struct bpf_program *prog;

		d = &tls_progs[plan->probes[i].prog];
		prog = bpf_object__find_program_by_name(p->skel->obj, d->bpf_name);
		if (!prog) {
			err = -ENOENT;
			goto cleanup;
		}
		err = attach_one(p, prog, d->retprobe, path, plan->probes[i].off, pid, &a->links[i],
				 a->events[i]);
		if (err)
			goto cleanup;
	}
	*out = a;
	return 0;
cleanup:
	warn("failed to attach uprobes to %s (pid %d): %s", path, pid, strerror(-err));
	probes__detach_tls(a);
	return err;
}

void probes__detach_tls(struct tls_attach *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < sizeof(a->links) / sizeof(a->links[0]); i++) {
		bpf_link__destroy(a->links[i]);
		uprobe_tracefs__remove(a->events[i]);
	}
	for (int i = 0; i < TLS_PROG_MAX; i++)
		if (a->multi_fds[i] > 0)
			close(a->multi_fds[i]);
	free(a);
}

int probes__stats(const struct probes *p, uint64_t out[AR_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < AR_STAT_MAX; i++) {
		out[i] = 0;
		err = bpf_map__lookup_elem(p->skel->maps.stats, &i, sizeof(i), vals,
					   ncpu * sizeof(*vals), 0);
		if (err)
			break;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return err;
}

long probes__count_targets(const struct probes *p, long cap)
{
	uint32_t key, next;
	long n = 0;
	void *prev = NULL;

	if (p->all)
		return -1;
	while (n < cap && !bpf_map__get_next_key(p->skel->maps.targets, prev, &next,
						  sizeof(next))) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static bool proc_exists(uint32_t tgid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", tgid);
	return access(path, F_OK) == 0 || errno != ENOENT;
}

/* A live target: the one found last time if it still is, else one of the
 * first 8 keys of targets whose task exists in /proc (the host's:
 * agentrace needs the host PID namespace). An entry can outlive its task
 * only if a --pid died between the check at start and its insertion; it
 * is skipped, not trusted. The remembered target comes first because a
 * walk from the start scans targets' 65536 buckets up to its first key:
 * once per 10 ms that was about 3 % of the daemon's samples. */
static bool live_target(struct probes *p, uint32_t *tgid)
{
	uint32_t key, *prev = NULL;
	uint8_t v;

	if (p->live_tgid &&
	    !bpf_map__lookup_elem(p->skel->maps.targets, &p->live_tgid, sizeof(p->live_tgid), &v,
				  sizeof(v), 0) &&
	    proc_exists(p->live_tgid)) {
		*tgid = p->live_tgid;
		return true;
	}
	p->live_tgid = 0;
	for (int i = 0; i < 8; i++) {
		if (bpf_map__get_next_key(p->skel->maps.targets, prev, tgid, sizeof(*tgid)))
			return false;
		if (proc_exists(*tgid)) {
			p->live_tgid = *tgid;
			return true;
		}
		key = *tgid;
		prev = &key;
	}
	return true; /* not proven empty */
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void probes__handle(struct probes *p, const void *rec, size_t len)
{
	const struct ar_proc_event *ev = rec;
	char why[64];

	if (!p->gate || len < sizeof(*ev) ||
	    (ev->hdr.type != AR_EV_PROC_EXEC && ev->hdr.type != AR_EV_PROC_FORK))
		return;
	debug("gate: %s record of pid %u, %llu us after the kernel saw it",
	      ev->hdr.type == AR_EV_PROC_EXEC ? "exec" : "fork", ev->hdr.tgid,
	      (unsigned long long)(now_ns() - ev->hdr.ts_ns) / 1000);
	snprintf(why, sizeof(why), "pid %u (%.16s) %s", ev->hdr.tgid, ev->comm,
		 ev->hdr.type == AR_EV_PROC_EXEC ? "exec'd as a target" : "forked from a target");
	tp_gate__open(p->gate, now_ns(), ev->hdr.ts_ns, why);
	gate_hold__release(p->hold, tp_gate__attached(p->gate), now_ns());
}

void probes__tick(struct probes *p)
{
	uint64_t now;
	uint32_t tgid = 0;
	bool live;
	char why[48];

	if (!p->gate)
		return;
	/* a busy event loop turns often: two syscalls per 10 ms at most */
	now = now_ns();
	if (now - p->gate_checked_ns < 10000000ull)
		return;
	p->gate_checked_ns = now;
	live = live_target(p, &tgid);
	snprintf(why, sizeof(why), "pid %u is a target", tgid);
	tp_gate__tick(p->gate, now, live, why);
	gate_hold__release(p->hold, tp_gate__attached(p->gate), now);
}

void probes__print_stats(const struct probes *p, FILE *f)
{
	tp_gate__print_stats(p->gate, f);
	gate_hold__print_stats(p->hold, f);
}
