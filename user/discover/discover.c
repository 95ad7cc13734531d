// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/probes.h"
#include "common/held.h"
#include "common/log.h"
#include "discover/conn_seed.h"
#include "discover/discover.h"
#include "discover/exec_hold.h"
#include "discover/hello_hold.h"
#include "discover/promote.h"
#include "discover/rate.h"
#include "discover/proc_info.h"
#include "discover/proc_runtime.h"
#include "discover/proc_maps.h"
#include "discover/tls_files.h"
#include "discover/tls_lib.h"
#include "discover/verdict.h"
#include "discover/verdict_hold.h"
#include "capture/target_set.h"

/* Probed at start even when no process maps them yet, so a process that
 * dlopen()s the system libssl later (python's ssl module) is covered from
 * its first call. In scoped mode they are probed inside each target as it
 * is met, for the same reason: a uprobe on a file a process has not mapped
 * yet is installed when it maps it. */
static const char *const system_libssl[] = {
	"/usr/lib/x86_64-linux-gnu/libssl.so.3",
	"/usr/lib/x86_64-linux-gnu/libssl.so.1.1",
	"/usr/lib/aarch64-linux-gnu/libssl.so.3",
	"/usr/lib/aarch64-linux-gnu/libssl.so.1.1",
	"/usr/lib64/libssl.so.3",
	"/usr/lib/libssl.so.3",
};

/* Rescan a process's maps on a new connection at most this often, to
 * catch libraries loaded after exec. */
#define RESCAN_NS 1000000000ull
#define MAX_RECENT 1024
/* Probes stay on a file this long after its last user exits. */
#define DETACH_GRACE_NS (5 * 1000000000ull)
/* A loopback connection's skip verdict waits this long for its peer. */
#define VERDICT_HOLD_NS 500000000ull

struct discover {
	struct probes *probes;
	struct tls_files *files;
	discover_emit_fn emit;
	void *ctx;
	struct {
		uint32_t pid;
		bool conn_scanned; /* rescanned at a connection since exec */
		uint64_t ts;
	} recent[MAX_RECENT]; /* last maps scan per pid, direct-mapped */
	struct {
		uint32_t pid;
		struct rate r;
	} lib_rate[MAX_RECENT];    /* rescans for libssl mmaps, per pid */
	struct rate lib_maps;      /* ...and for the whole daemon */
	struct llm_hosts hosts;    /* --promote: hosts whose SNI promotes */
	struct promote_stats promo;
	struct promote_pending awaiting; /* promoted by SNI, first TLS data due */
	struct verdict_stats verdicts; /* bounded capture's connection verdicts */
	struct target_set *targets;    /* who calls a target; NULL: not known */
	struct verdict_hold held;      /* skips of loopback connections, due */
	struct exec_hold *exec_hold;   /* selector matches held until probed */
	struct held_counts hello_held; /* SNI promotions stopped while probed */
	uint64_t rescans_skipped;  /* libssl mmaps not rescanned: over a limit */
	uint64_t skips_reported;
};

/* libssl mmaps that trigger a rescan: ld.so maps a library a few times
 * (the retry a missed mapping needs), a loop of mmaps gets no more. The
 * first connection still rescans (AR_EV_CONN_OPEN). */
#define LIB_MAP_PER_PID 4
#define LIB_MAP_PER_DAEMON 64
#define LIB_MAP_WINDOW_NS 1000000000ull

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct discover *discover__new(struct probes *p, discover_emit_fn emit, void *ctx)
{
	struct discover *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->files = tls_files__new(p, probes__scoped(p));
	if (!d->files) {
		free(d);
		return NULL;
	}
	d->probes = p;
	d->emit = emit;
	d->ctx = ctx;
	d->exec_hold = exec_hold__new(p);
	return d;
}

void discover__free(struct discover *d)
{
	if (!d)
		return;
	exec_hold__free(d->exec_hold);
	tls_files__free(d->files);
	free(d);
}

#define N_SYSTEM_LIBSSL (sizeof(system_libssl) / sizeof(system_libssl[0]))

/* Scoped mode: a target gets the system libssl files probed inside it
 * before it maps them. */
static void probe_system_libs(struct discover *d, uint32_t pid)
{
	char path[320];

	for (size_t i = 0; i < N_SYSTEM_LIBSSL; i++) {
		snprintf(path, sizeof(path), "/proc/%u/root%s", pid, system_libssl[i]);
		if (access(path, R_OK) == 0)
			tls_files__add(d->files, pid, path);
	}
}

/* Probes the TLS files of pid (only a target's, in scoped mode). */
static void probe_pid(struct discover *d, uint32_t pid)
{
	if (!probes__scoped(d->probes)) {
		proc_maps__scan(d->files, pid);
		return;
	}
	if (!probes__is_target(d->probes, pid))
		return;
	proc_maps__scan(d->files, pid);
	/* Each file costs ten perf events (1-2 ms apiece here) while the new
	 * target races to its first call: a process whose executable or
	 * libraries already carry OpenSSL (node) skips the system files. */
	if (!tls_files__pid_probed(d->files, pid))
		probe_system_libs(d, pid);
}

static void scan_pid(struct discover *d, uint32_t pid, bool emit_info)
{
	struct ar_proc_info rec;
	struct ar_proc_runtime rt;
	uint64_t now = now_mono();

	if (d->recent[pid % MAX_RECENT].pid != pid || emit_info)
		d->recent[pid % MAX_RECENT].conn_scanned = false;
	d->recent[pid % MAX_RECENT].pid = pid;
	d->recent[pid % MAX_RECENT].ts = now;
	probe_pid(d, pid);
	if (!emit_info || proc_info__read(pid, now, &rec))
		return;
	d->emit(d->ctx, &rec, sizeof(rec));
	if (proc_runtime__read(pid, now, rec.exe_path, &rt) == 0)
		d->emit(d->ctx, &rt, sizeof(rt));
}

static int scan_one(uint32_t pid, void *ctx)
{
	struct discover *d = ctx;

	if (pid == (uint32_t)getpid())
		return 0;
	scan_pid(d, pid, true);
	return 0;
}

/* Agent-first: connections open before the start get bounded capture. */
static void seed_conns(struct discover *d)
{
	struct conn_seed_stats st;
	int err = conn_seed__run(d->probes, d->emit, d->ctx, &st);

	if (err)
		warn("failed to scan open connections: %s", strerror(-err));
	else
		info("bounded capture for %llu TCP connections open before the start (%llu "
		     "sockets, %llu network namespaces, %llu refused) in %llu us",
		     (unsigned long long)st.seeded, (unsigned long long)st.sockets,
		     (unsigned long long)st.netns, (unsigned long long)st.failed,
		     (unsigned long long)st.ns / 1000);
}

int discover__scan_all(struct discover *d)
{
	int err;

	for (size_t i = 0; i < N_SYSTEM_LIBSSL && !probes__scoped(d->probes); i++)
		if (access(system_libssl[i], R_OK) == 0)
			tls_files__add(d->files, 0, system_libssl[i]);
	err = proc_maps__for_each_pid(scan_one, d);
	if (err < 0)
		return err;
	if (probes__bounded_bytes(d->probes))
		seed_conns(d);
	/* The processes running at start were located here, before the ready
	 * file; from now on a new binary is located off the event loop. */
	err = tls_files__locate_async(d->files);
	if (err)
		warn("no locator thread (%s): new binaries are located on the event loop",
		     strerror(-err));
	return tls_files__attached(d->files);
}

static bool lib_map_allowed(struct discover *d, uint32_t pid)
{
	uint64_t now = now_mono();
	uint32_t slot = pid % MAX_RECENT;

	if (d->lib_rate[slot].pid != pid) {
		d->lib_rate[slot].pid = pid;
		d->lib_rate[slot].r = (struct rate){ 0 };
	}
	return rate__allow(&d->lib_rate[slot].r, now, LIB_MAP_PER_PID, LIB_MAP_WINDOW_NS) &&
	       rate__allow(&d->lib_maps, now, LIB_MAP_PER_DAEMON, LIB_MAP_WINDOW_NS);
}

void discover__set_targets(struct discover *d, struct target_set *ts)
{
	d->targets = ts;
}

void discover__add_llm_host(struct discover *d, const char *pattern)
{
	if (llm_hosts__add(&d->hosts, pattern))
		warn("--llm-host %s ignored: at most %d patterns", pattern, LLM_HOSTS_MAX);
}

/* Tells the pipeline (and a capture file) that tgid is a target now. */
static void emit_target(struct discover *d, uint32_t tgid, enum promote_reason r,
			uint64_t ts)
{
	struct ar_target_event ev = { .hdr = { .type = AR_EV_TARGET, .tgid = tgid,
					       .tid = tgid, .ts_ns = ts },
				      .reason = r };

	d->emit(d->ctx, &ev, sizeof(ev));
}

/* --promote: the first write of an untargeted process may make it a
 * target; its TLS files are then probed inside it at once, ahead of the
 * first SSL_write that follows a ClientHello by one round trip. */
static void promote_pid(struct discover *d, uint32_t tgid, enum promote_reason r,
			const char *what, uint64_t seen_ns)
{
	bool held = r == PROMOTE_SNI && hello_hold__stop(tgid);
	uint64_t t0 = now_mono();
	int err = probes__promote(d->probes, tgid);
	uint64_t lag;

	if (!err)
		scan_pid(d, tgid, true); /* its identity too: it sent no exec record */
	if (held)
		held__cont(-1, tgid, t0, now_mono(), &d->hello_held, "hello hold");
	if (err) {
		warn("failed to promote pid %u: %s", tgid, strerror(-err));
		return;
	}
	emit_target(d, tgid, r, seen_ns);
	/* The first uprobe registration after a quiet spell waits for an RCU
	 * grace period in the kernel (10-30 ms here); a handshake that is
	 * faster than that loses its first SSL_write (docs/performance.md). */
	lag = now_mono() - seen_ns;
	info("promoted pid %u to a target: %s %s (probed %llu us after its first write)",
	     tgid, promote__reason_name(r), what, (unsigned long long)lag / 1000);
	if (r != PROMOTE_SNI)
		return;
	promote__await(&d->awaiting, tgid);
	d->promo.probed++;
	d->promo.probe_ns_sum += lag;
	if (lag > d->promo.probe_ns_max)
		d->promo.probe_ns_max = lag;
}

static void judge_first_write(struct discover *d, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;
	enum promote_reason r;
	char what[128];

	r = promote__judge(&d->hosts, rec, len, what, sizeof(what), &d->promo);
	if (r == PROMOTE_NO || probes__is_target(d->probes, h->tgid))
		return;
	promote_pid(d, h->tgid, r, what, h->ts_ns);
}

/* The kernel stops copying conn_id, unless it goes to a target: its
 * caller then keeps bounded capture for its CLIENT span. */
static void skip_conn(struct discover *d, uint64_t conn_id)
{
	if (d->targets && target_set__calls_target(d->targets, conn_id)) {
		d->verdicts.calls_target++;
		return;
	}
	if (probes__set_verdict(d->probes, conn_id)) {
		if (!d->verdicts.errors++)
			warn("failed to write a connection verdict: the kernel goes on "
			     "copying (verdict: errors)");
		return;
	}
	d->verdicts.skip++;
}

/* Bounded capture: the first bytes of each direction of an untargeted
 * process's connection decide whether the kernel goes on copying it. A
 * server whose first request is an LLM or MCP call is promoted: its
 * caller is an agent (by that very request) that was not one yet when it
 * connected, so the kernel could not promote the server itself. */
static void judge_conn(struct discover *d, const void *rec, size_t len)
{
	const struct ar_data_event *ev = rec;
	enum promote_reason why;
	enum verdict v;
	char what[128];

	v = verdict__judge(&d->hosts, rec, len, &why, what, sizeof(what));
	if (v == VERDICT_WAIT || probes__is_target(d->probes, ev->hdr.tgid))
		return;
	if (v == VERDICT_KEEP) {
		d->verdicts.keep++;
		promote_pid(d, ev->hdr.tgid, why, what, ev->hdr.ts_ns);
		return;
	}
	if (d->targets) {
		uint32_t acceptor = target_set__acceptor_of(d->targets, ev->hdr.conn_id);
		bool local = target_set__calls_local(d->targets, ev->hdr.conn_id);
		uint64_t due;

		switch (verdict__when(local, acceptor,
				      acceptor && target_set__has(d->targets, acceptor))) {
		case VERDICT_NEVER:
			d->verdicts.calls_target++;
			return;
		case VERDICT_HOLD:
			due = verdict_hold__push(&d->held, ev->hdr.conn_id, now_mono());
			d->verdicts.held++;
			if (due)
				skip_conn(d, due);
			return;
		case VERDICT_NOW:
			break;
		}
	}
	skip_conn(d, ev->hdr.conn_id);
}

/* A server accepted a connection: a loopback client's skip held for it
 * is decided now, not a tick later. */
static void release_held(struct discover *d, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;
	uint64_t client;

	if (!d->targets || !d->held.n)
		return;
	client = target_set__client_of(d->targets, rec, len);
	if (!client || !verdict_hold__take(&d->held, client))
		return;
	d->verdicts.held_early++;
	if (verdict__when(true, h->tgid, target_set__has(d->targets, h->tgid)) == VERDICT_NEVER)
		d->verdicts.calls_target++;
	else
		skip_conn(d, client);
}

void discover__handle(struct discover *d, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;

	if (len < sizeof(*h))
		return;
	switch (h->type) {
	case AR_EV_PROC_EXEC:
		tls_files__proc_exec(d->files, h->tgid, now_mono());
		/* fall through */
	case AR_EV_PROC_FORK:
		debug("exec/fork pid %u: scanning maps", h->tgid);
		scan_pid(d, h->tgid, true);
		/* a binary still being located holds it at its connect */
		if (!tls_files__locating(d->files))
			exec_hold__probed(d->exec_hold, h->tgid);
		break;
	case AR_EV_PROC_HELD:
		/* stopped at its first connect: its exec record came first
		 * and probed it, unless that record was lost */
		if (!tls_files__pid_probed(d->files, h->tgid))
			probe_pid(d, h->tgid);
		exec_hold__stopped(d->exec_hold, rec, len, !tls_files__locating(d->files),
				   now_mono());
		break;
	case AR_EV_LIB_MAP:
		/* The mapping itself lands a moment after mmap's entry; the
		 * scan below usually runs after it. A miss is retried on the
		 * next map of the same library (ld.so maps each several times)
		 * and on the first connection. */
		if (!lib_map_allowed(d, h->tgid)) {
			d->rescans_skipped++;
			break;
		}
		debug("pid %u maps a libssl: scanning maps", h->tgid);
		probe_pid(d, h->tgid);
		break;
	case AR_EV_FIRST_WRITE:
		judge_first_write(d, rec, len);
		break;
	case AR_EV_TLS_ODD:
		tls_files__first_call(d->files, rec, len);
		break;
	case AR_EV_DATA:
		tls_files__first_call(d->files, rec, len);
		if (probes__bounded_bytes(d->probes))
			judge_conn(d, rec, len);
		if (probes__promoting(d->probes) &&
		    promote__first_tls(&d->awaiting, rec, len, &d->promo) < 0)
			warn("pid %u was promoted after its first TLS write: that request is "
			     "not traced (promote: late)", h->tgid);
		break;
	case AR_EV_PROC_EXIT:
		debug("exit pid %u", h->tgid);
		if (probes__promoting(d->probes) &&
		    promote__exit(&d->awaiting, h->tgid, &d->promo))
			warn("pid %u was promoted by SNI and exited before any TLS plaintext was "
			     "seen (promote: unseen)", h->tgid);
		tls_files__proc_exit(d->files, h->tgid, now_mono());
		break;
	case AR_EV_CONN_OPEN: {
		uint32_t slot = h->tgid % MAX_RECENT;

		release_held(d, rec, len);
		if (d->recent[slot].pid != h->tgid) {
			/* First connection of a process we have not met (it
			 * predates us or its exec record was lost). */
			scan_pid(d, h->tgid, true);
			d->recent[slot].conn_scanned = true;
		} else if (!d->recent[slot].conn_scanned ||
			   now_mono() - d->recent[slot].ts > RESCAN_NS) {
			/* The first connection after exec always rescans: python
			 * dlopen()s libssl at `import ssl`, right after exec and
			 * well within RESCAN_NS. */
			scan_pid(d, h->tgid, false);
			d->recent[slot].conn_scanned = true;
		}
		break;
	}
	default:
		break;
	}
}

int discover__set_tls_cache(struct discover *d, const char *path)
{
	return tls_files__set_cache(d->files, path);
}

bool discover__poll(struct discover *d)
{
	bool locating;

	tls_files__poll(d->files);
	locating = tls_files__locating(d->files);
	if (!locating)
		exec_hold__release(d->exec_hold, true, now_mono());
	return locating;
}

void discover__tick(struct discover *d, uint64_t now)
{
	uint64_t conn_id;

	/* a loopback peer's accept is in by now, if it was a target's */
	while (verdict_hold__pop(&d->held, now, VERDICT_HOLD_NS, &conn_id))
		skip_conn(d, conn_id);
	exec_hold__release(d->exec_hold, false, now);
	if (d->rescans_skipped != d->skips_reported) {
		info("discovery: %llu libssl mmaps not rescanned (rate limit; the first connection still rescans)",
		     (unsigned long long)(d->rescans_skipped - d->skips_reported));
		d->skips_reported = d->rescans_skipped;
	}
	tls_files__expire(d->files, now, DETACH_GRACE_NS);
}

size_t discover__attached_files(const struct discover *d)
{
	return tls_files__attached(d->files);
}

void discover__print_stats(const struct discover *d, FILE *f)
{
	fputs("discover:", f);
	tls_files__print_stats(d->files, f);
	fputc('\n', f);
	if (d->exec_hold) {
		fputs("hold:", f);
		exec_hold__print_stats(d->exec_hold, f);
		fputc('\n', f);
	}
	if (!probes__promoting(d->probes))
		return;
	fprintf(f, "promote: first_writes=%llu tls_hellos=%llu tls_no_sni=%llu",
		(unsigned long long)d->promo.seen, (unsigned long long)d->promo.tls,
		(unsigned long long)d->promo.tls_no_sni);
	for (int r = PROMOTE_SNI; r <= PROMOTE_MCP; r++)
		fprintf(f, " promoted_%s=%llu", promote__reason_name(r),
			(unsigned long long)d->promo.promoted[r]);
	fprintf(f, " on_time=%llu late=%llu unseen=%llu malformed=%llu",
		(unsigned long long)d->promo.on_time, (unsigned long long)d->promo.late,
		(unsigned long long)d->promo.unseen, (unsigned long long)d->promo.malformed);
	fprintf(f, " probed_after_hello_us_avg=%llu probed_after_hello_us_max=%llu"
		   " hello_held=%llu hello_held_us_max=%llu\n",
		(unsigned long long)(d->promo.probed ?
				     d->promo.probe_ns_sum / d->promo.probed / 1000 : 0),
		(unsigned long long)d->promo.probe_ns_max / 1000,
		(unsigned long long)d->hello_held.continued,
		(unsigned long long)d->hello_held.held_ns_max / 1000);
	if (probes__bounded_bytes(d->probes))
		fprintf(f, "verdict: skip=%llu keep=%llu errors=%llu calls_target=%llu held=%llu "
			   "held_early=%llu\n",
			(unsigned long long)d->verdicts.skip,
			(unsigned long long)d->verdicts.keep,
			(unsigned long long)d->verdicts.errors,
			(unsigned long long)d->verdicts.calls_target,
			(unsigned long long)d->verdicts.held,
			(unsigned long long)d->verdicts.held_early);
}

void discover__each_tls_file(const struct discover *d,
			     void (*fn)(void *ctx, const char *path), void *ctx)
{
	tls_files__each_attached(d->files, fn, ctx);
}
