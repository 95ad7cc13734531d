// SPDX-License-Identifier: MIT
/* Locating off the event loop and remembering plans across restarts
 * (discover/locator.h, discover/plan_cache.h, through discover/tls_files.h):
 * a stored plan comes back only for the same file with the same bytes at
 * its probes; a new file is located once, on the locator's thread, and
 * every process that met it meanwhile gets its probes. Planning and
 * attaching are stand-ins. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentrace/events.h"
#include "common/log.h"
#include "discover/first_calls.h"
#include "discover/plan_cache.h"
#include "discover/proc_info.h"
#include "discover/tls_files.h"
#include "discover/tls_lib.h"
#include "tls_attach_fake.h"

static char dir[64], bin[96], cache[96];
static atomic_int plans;  /* stand-in plan calls */

static void write_bin(uint8_t fill)
{
	uint8_t b[4096];
	int fd = open(bin, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0);
	memset(b, fill, sizeof(b));
	cr_assert_eq(write(fd, b, sizeof(b)), (ssize_t)sizeof(b));
	close(fd);
}

static void setup(void)
{
	log__set_level(LOG_ERROR); /* the rustls beside the sample plan is reported */
	snprintf(dir, sizeof(dir), "/tmp/ar-plan-cache-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/agent", dir);
	snprintf(cache, sizeof(cache), "%s/state/tls-plans", dir);
	write_bin(0xcc);
	plans = 0;
	live = 0;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static void sample_plan(struct tls_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->lib = TLS_LIB_OPENSSL_STATIC;
	p->detected = 1u << TLS_LIB_OPENSSL_STATIC | 1u << TLS_LIB_RUSTLS;
	tls_plan__add(p, TLS_PROG_SSL_READ_EX, 0x100);
	tls_plan__add(p, TLS_PROG_SSL_READ_EX_RET, 0x100);
	tls_plan__add(p, TLS_PROG_SSL_WRITE_INTERNAL, 0x400);
	tls_plan__add(p, TLS_PROG_SSL_WRITE_EX_RET, 0x400);
	snprintf(p->versions[TLS_LIB_OPENSSL_STATIC], sizeof(p->versions[0]), "3.6.4");
	snprintf(p->versions[TLS_LIB_RUSTLS], sizeof(p->versions[0]), "0.23.46");
}

static void stat_bin(struct stat *st)
{
	cr_assert_eq(stat(bin, st), 0);
}

TestSuite(plan_cache, .init = setup, .fini = teardown);

/* A daemon that located bin (the sample plan) and exited: the cache file
 * holds it. *p and *st get the plan and bin's identity. */
static void store_sample(struct tls_plan *p, struct stat *st)
{
	struct plan_cache *c = plan_cache__open(cache);

	sample_plan(p);
	stat_bin(st);
	cr_assert_eq(plan_cache__put(c, bin, st, p), 0);
	plan_cache__free(c);
}

Test(plan_cache, a_plan_survives_a_restart)
{
	struct plan_cache *c;
	struct tls_plan want, got;
	struct plan_cache_stats s;
	struct stat st;

	store_sample(&want, &st);
	c = plan_cache__open(cache); /* the next daemon */
	cr_assert(plan_cache__get(c, bin, &st, &got));
	cr_assert_eq(got.lib, want.lib);
	cr_assert_eq(got.detected, want.detected);
	cr_assert_eq(got.n, want.n);
	cr_assert_arr_eq(got.probes, want.probes, want.n * sizeof(want.probes[0]));
	cr_assert_str_eq(got.versions[TLS_LIB_OPENSSL_STATIC], "3.6.4");
	cr_assert_str_eq(got.versions[TLS_LIB_RUSTLS], "0.23.46");
	plan_cache__stats(c, &s);
	cr_assert_eq(s.hits, 1);
	plan_cache__free(c);
}

Test(plan_cache, an_unlocated_library_keeps_its_reason)
{
	struct plan_cache *c = plan_cache__open(cache);
	struct tls_plan want, got;
	struct stat st;

	memset(&want, 0, sizeof(want));
	want.lib = TLS_LIB_RUSTLS;
	want.detected = 1u << TLS_LIB_RUSTLS;
	snprintf(want.note, sizeof(want.note), "plaintext functions not located (no symbols)");
	stat_bin(&st);
	cr_assert_eq(plan_cache__put(c, bin, &st, &want), 0);
	plan_cache__free(c);
	c = plan_cache__open(cache);
	cr_assert(plan_cache__get(c, bin, &st, &got));
	cr_assert_eq(got.n, 0);
	cr_assert_str_eq(got.note, want.note);
	plan_cache__free(c);
}

Test(plan_cache, a_rewritten_file_misses)
{
	struct plan_cache *c = plan_cache__open(cache);
	struct tls_plan p;
	struct stat st;

	sample_plan(&p);
	stat_bin(&st);
	cr_assert_eq(plan_cache__put(c, bin, &st, &p), 0);
	usleep(10000);
	write_bin(0xcc); /* same bytes, new mtime and ctime */
	stat_bin(&st);
	cr_assert_not(plan_cache__get(c, bin, &st, &p));
	plan_cache__free(c);
}

/* Its offsets become uprobes: a cache file others could have written is
 * not read. */
Test(plan_cache, a_file_others_can_write_is_ignored)
{
	struct plan_cache *c;
	struct tls_plan p;
	struct stat st;

	store_sample(&p, &st);
	cr_assert_eq(chmod(cache, 0666), 0);
	c = plan_cache__open(cache);
	cr_assert_not(plan_cache__get(c, bin, &st, &p));
	plan_cache__free(c);
}

/* The same identity with other bytes at a probe (a file rewritten in place
 * and its times set back, or an inode reused): the entry is dropped, never
 * trusted. The stored identity is edited to match the new file, since
 * ctime cannot be set back from userspace. */
Test(plan_cache, other_bytes_at_a_probe_are_refused)
{
	struct plan_cache *c;
	struct plan_cache_stats s;
	struct tls_plan p;
	struct stat st;
	char line[4096], head[4096] = "";
	FILE *f;
	int fd;

	store_sample(&p, &st);
	fd = open(bin, O_WRONLY | O_CLOEXEC);
	cr_assert_eq(pwrite(fd, "\x90", 1, 0x405), 1); /* inside the write probe's 16 bytes */
	close(fd);
	stat_bin(&st);
	f = fopen(cache, "r");
	cr_assert(fgets(head, sizeof(head), f));
	cr_assert(fgets(line, sizeof(line), f));
	fclose(f);
	{
		char *rest = line;

		for (int i = 0; i < 5; i++) /* skip dev ino size mtime ctime */
			rest = strchr(rest, ' ') + 1;
		f = fopen(cache, "w");
		fprintf(f, "%s%llu %llu %llu %llu %llu %s", head, (unsigned long long)st.st_dev,
			(unsigned long long)st.st_ino, (unsigned long long)st.st_size,
			st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec,
			st.st_ctim.tv_sec * 1000000000ull + st.st_ctim.tv_nsec, rest);
		fclose(f);
	}
	c = plan_cache__open(cache);
	cr_assert_not(plan_cache__get(c, bin, &st, &p));
	plan_cache__stats(c, &s);
	cr_assert_eq(s.stale, 1);
	plan_cache__free(c);
}

Test(plan_cache, a_corrupt_file_is_an_empty_cache)
{
	static const char *const bodies[] = {
		"",
		"not a cache\n1 2 3\n",
		"agentrace-tls-plans 3\n1 2 3 4 5 99 1 0 1 0:10 #\n",      /* lib out of range */
		"agentrace-tls-plans 3\n1 2 3 4 5 1 2 0 3 0:10 #\n",       /* n says 3, one probe */
		"agentrace-tls-plans 3\n1 2 3 4 5 1 2 0 1 77:10 #\n",      /* prog out of range */
		"agentrace-tls-plans 3\n1 2 3 4 5 1 2 0 1 0:10 zz\n",      /* junk token */
		"agentrace-tls-plans 3\n1 2 3 4 5 1 4 0 0 #lib not detected\n",
	};
	struct tls_plan p;
	struct stat st = { .st_dev = 1, .st_ino = 2, .st_size = 3 };

	st.st_mtim.tv_nsec = 4;
	st.st_ctim.tv_nsec = 5;
	cr_assert_eq(mkdir(dirname(strdupa(cache)), 0700), 0);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		FILE *f = fopen(cache, "w");
		struct plan_cache *c;

		fputs(bodies[i], f);
		fclose(f);
		c = plan_cache__open(cache);
		cr_assert_not_null(c);
		cr_assert_not(plan_cache__get(c, bin, &st, &p), "body %zu", i);
		plan_cache__free(c);
	}
}

/* --- the table, locating off its caller's thread --- */

static int slow_plan(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
		     void *ctx)
{
	(void)path;
	usleep(20000); /* a stripped binary takes longer; any wait shows the order */
	plans++;
	sample_plan(plan);
	return plan->n;
}

static const struct tls_files_ops ops = {
	.plan = slow_plan, .attach = fake_attach, .detach = fake_detach,
};

/* Polls the table until n attachments exist (bounded: 10 s). */
static void poll_until(struct tls_files *t, size_t n)
{
	for (int i = 0; i < 1000 && tls_files__attached(t) < n; i++) {
		tls_files__poll(t);
		usleep(10000);
	}
}

Test(plan_cache, a_new_file_is_located_once_off_the_callers_thread)
{
	struct tls_files *t = tls_files__new_ops(NULL, false, &ops);
	struct tls_files_stats s;

	cr_assert_eq(tls_files__locate_async(t), 0);
	cr_assert_eq(tls_files__add(t, 100, bin), 0, "returns at once");
	cr_assert_eq(tls_files__add(t, 101, bin), 0, "a second process waits too");
	cr_assert_eq(tls_files__attached(t), 0);
	poll_until(t, 1);
	cr_assert_eq(tls_files__attached(t), 1);
	cr_assert_eq(plans, 1, "located once");
	cr_assert_eq(tls_files__add(t, 102, bin), 0, "already probed");
	tls_files__stats(t, &s);
	cr_assert_eq(s.located_async, 1);
	cr_assert_eq(s.probed[TLS_LIB_OPENSSL_STATIC], 1);
	tls_files__free(t);
	cr_assert_eq(live, 0);
}

Test(plan_cache, scoped_targets_that_met_the_file_meanwhile_get_probes)
{
	struct tls_files *t = tls_files__new_ops(NULL, true, &ops);
	uint32_t me = getpid(), parent = getppid();

	cr_assert_eq(tls_files__locate_async(t), 0);
	cr_assert_eq(tls_files__add(t, me, bin), 0);
	cr_assert_eq(tls_files__add(t, parent, bin), 0);
	cr_assert_not(tls_files__pid_probed(t, me));
	poll_until(t, 2);
	cr_assert_eq(tls_files__attached(t), 2);
	cr_assert(tls_files__pid_probed(t, me));
	cr_assert(tls_files__pid_probed(t, parent));
	tls_files__free(t);
	cr_assert_eq(live, 0);
}

Test(plan_cache, the_next_daemon_probes_a_known_file_at_once)
{
	struct tls_files *t = tls_files__new_ops(NULL, false, &ops);
	struct tls_files_stats s;

	cr_assert_eq(tls_files__set_cache(t, cache), 0);
	cr_assert_eq(tls_files__locate_async(t), 0);
	cr_assert_eq(tls_files__add(t, 100, bin), 0);
	poll_until(t, 1);
	tls_files__free(t);

	t = tls_files__new_ops(NULL, false, &ops);
	cr_assert_eq(tls_files__set_cache(t, cache), 0);
	cr_assert_eq(tls_files__locate_async(t), 0);
	cr_assert_eq(tls_files__add(t, 200, bin), 1, "attached in the call, from the cache");
	cr_assert_eq(plans, 1, "not located again");
	tls_files__stats(t, &s);
	cr_assert_eq(s.cache_hits, 1);
	tls_files__free(t);
	cr_assert_eq(live, 0);
}

/* A refused file is not probed again by the next daemon: it is reported
 * from the cache (why included), without locating or attaching. */
Test(plan_cache, a_refused_file_stays_refused_after_a_restart)
{
	struct tls_files *t = tls_files__new_ops(NULL, false, &ops);
	struct ar_tls_odd odd = { .hdr = { .type = AR_EV_TLS_ODD, .flags = AR_F_TLS },
				  .why = AR_ODD_RETURN, .len_arg = 16, .ret = 4096 };
	struct tls_files_stats s;
	struct plan_cache *c;
	struct tls_plan p;
	struct stat st;

	cr_assert_eq(tls_files__set_cache(t, cache), 0);
	cr_assert_eq(tls_files__add(t, getpid(), bin), 1);
	odd.hdr.tgid = getpid();
	for (int i = 0; i < FIRST_CALLS_STRIKES; i++)
		tls_files__first_call(t, &odd, sizeof(odd));
	cr_assert_eq(live, 0, "refused and detached");
	tls_files__free(t);

	c = plan_cache__open(cache);
	stat_bin(&st);
	cr_assert(plan_cache__get(c, bin, &st, &p));
	cr_assert_eq(p.n, 0, "the entry keeps no probes");
	cr_assert_eq(p.lib, TLS_LIB_OPENSSL_STATIC);
	cr_assert(strstr(p.note, "refused on its first calls (results do not fit their length"),
		  "%s", p.note);
	plan_cache__free(c);

	t = tls_files__new_ops(NULL, false, &ops);
	cr_assert_eq(tls_files__set_cache(t, cache), 0);
	cr_assert_eq(tls_files__add(t, 200, bin), 0, "not probed again");
	cr_assert_eq(live, 0);
	cr_assert_eq(plans, 1, "not located again");
	tls_files__stats(t, &s);
	cr_assert_eq(s.cache_hits, 1);
	cr_assert_eq(s.unlocated, 1, "reported once, with the reason");
	tls_files__free(t);
}

/* A library found but not located, by the locator thread. */
static int unlocated_plan(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
			  void *ctx)
{
	(void)path;
	usleep(20000);
	memset(plan, 0, sizeof(*plan));
	plan->lib = TLS_LIB_BORINGSSL;
	plan->detected = 1u << TLS_LIB_BORINGSSL;
	snprintf(plan->note, sizeof(plan->note), "SSL_write not identified");
	return 0;
}

/* The process that brought a file to the locator has exited (a short
 * `codex --version`) by the time the file is found unlocatable: the
 * report still names it, pid and comm, not "process 0 (?)". */
Test(plan_cache, an_unlocated_file_names_the_process_that_met_it, .init = cr_redirect_stderr)
{
	static const struct tls_files_ops unlocated = {
		.plan = unlocated_plan, .attach = fake_attach, .detach = fake_detach,
	};
	struct tls_files *t;
	struct tls_files_stats s;
	char want[64], got[4096] = "";
	pid_t child;

	log__set_level(LOG_WARN);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		prctl(PR_SET_NAME, "short-agent");
		pause();
		_exit(0);
	}
	/* its comm is set once /proc says so */
	for (int i = 0; i < 500; i++) {
		char comm[32] = "";

		if (proc_info__comm(child, comm, sizeof(comm)) == 0 && !strcmp(comm, "short-agent"))
			break;
		usleep(2000);
	}
	t = tls_files__new_ops(NULL, false, &unlocated);
	cr_assert_eq(tls_files__locate_async(t), 0);
	cr_assert_eq(tls_files__add(t, child, bin), 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	tls_files__proc_exit(t, child, 1);
	for (int i = 0; i < 1000 && (tls_files__stats(t, &s), !s.located_async); i++) {
		tls_files__poll(t);
		usleep(5000);
	}
	cr_assert_eq(s.unlocated, 1);
	tls_files__free(t);
	fflush(stderr);
	cr_assert_gt(fread(got, 1, sizeof(got) - 1, cr_get_redirected_stderr()), 0);
	snprintf(want, sizeof(want), "process %d (short-agent): TLS library BoringSSL", child);
	cr_assert(strstr(got, want), "%s", got);
}

/* A file carrying two libraries (Codex): the first one's plan is handed
 * out early, and the second is located only once the test says so. */
static atomic_int release_final;
static size_t probes_on[TLS_PROG_MAX]; /* probes attached, per program */

static int staged_plan(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
		       void *ctx)
{
	(void)path;
	sample_plan(plan);
	if (early)
		early(ctx, plan);
	for (int i = 0; i < 10000 && !release_final; i++)
		usleep(1000);
	tls_plan__add(plan, TLS_PROG_AEAD_INIT, 0x800);
	tls_plan__add(plan, TLS_PROG_AEAD_SEAL, 0x900);
	tls_plan__add(plan, TLS_PROG_AEAD_OPEN, 0xa00);
	tls_plan__add(plan, TLS_PROG_AEAD_OPEN_RET, 0xa00);
	plans++;
	return plan->n;
}

static int counting_attach(struct probes *p, const char *path, const struct tls_plan *plan,
			   int pid, struct tls_attach **out)
{
	for (size_t i = 0; i < plan->n; i++)
		probes_on[plan->probes[i].prog]++;
	return fake_attach(p, path, plan, pid, out);
}

static const struct tls_files_ops staged = {
	.plan = staged_plan, .attach = counting_attach, .detach = fake_detach,
};

static void wait_located(struct tls_files *t)
{
	struct tls_files_stats s;

	for (int i = 0; i < 1000 && (tls_files__stats(t, &s), !s.located_async); i++) {
		tls_files__poll(t);
		usleep(5000);
	}
	cr_assert_eq(s.located_async, 1);
}

/* Each of the 8 probes attached exactly `per` times. */
static void assert_each_probe(size_t per)
{
	static const int progs[] = {
		TLS_PROG_SSL_READ_EX, TLS_PROG_SSL_READ_EX_RET, TLS_PROG_SSL_WRITE_INTERNAL,
		TLS_PROG_SSL_WRITE_EX_RET, TLS_PROG_AEAD_INIT, TLS_PROG_AEAD_SEAL,
		TLS_PROG_AEAD_OPEN, TLS_PROG_AEAD_OPEN_RET,
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		cr_assert_eq(probes_on[progs[i]], per, "%s", tls_progs[progs[i]].bpf_name);
}

/* Shared mode: OpenSSL's probes go in while rustls is still being
 * located; rustls's are added beside them (none twice, none detached). */
Test(plan_cache, the_first_library_is_probed_before_the_second_is_located)
{
	struct tls_files *t = tls_files__new_ops(NULL, false, &staged);
	struct tls_files_stats s;

	release_final = 0;
	memset(probes_on, 0, sizeof(probes_on));
	cr_assert_eq(tls_files__locate_async(t), 0);
	cr_assert_eq(tls_files__add(t, 100, bin), 0);
	poll_until(t, 1);
	cr_assert_eq(live, 1, "OpenSSL's probes, early");
	cr_assert_eq(probes_on[TLS_PROG_SSL_READ_EX], 1);
	cr_assert_eq(probes_on[TLS_PROG_AEAD_SEAL], 0, "rustls is not located yet");
	cr_assert_eq(plans, 0);
	cr_assert_eq(tls_files__add(t, 101, bin), 0, "a new process is covered by them");
	release_final = 1;
	wait_located(t);
	cr_assert_eq(live, 2, "rustls's beside them; the early ones stay");
	cr_assert_eq(detached, 0);
	assert_each_probe(1);
	tls_files__stats(t, &s);
	cr_assert_eq(s.probed[TLS_LIB_OPENSSL_STATIC], 1);
	cr_assert_eq(s.probed[TLS_LIB_RUSTLS], 1);
	tls_files__free(t);
	cr_assert_eq(live, 0, "both attachments detached");
}

/* Scoped mode: the waiting targets get OpenSSL's probes early, and
 * rustls's beside them inside each. */
Test(plan_cache, scoped_targets_get_the_first_library_early)
{
	struct tls_files *t = tls_files__new_ops(NULL, true, &staged);

	release_final = 0;
	memset(probes_on, 0, sizeof(probes_on));
	cr_assert_eq(tls_files__locate_async(t), 0);
	cr_assert_eq(tls_files__add(t, getpid(), bin), 0);
	cr_assert_eq(tls_files__add(t, getppid(), bin), 0);
	poll_until(t, 2);
	cr_assert(tls_files__pid_probed(t, getpid()));
	cr_assert_eq(probes_on[TLS_PROG_AEAD_SEAL], 0);
	release_final = 1;
	wait_located(t);
	cr_assert_eq(live, 4, "two pairs, each with its early and its added probes");
	assert_each_probe(2);
	tls_files__free(t);
	cr_assert_eq(live, 0);
}
