// SPDX-License-Identifier: MIT
/* The table of probed TLS library files (discover/tls_files.h): once it is
 * full, a new file still gets a slot by detaching the file idle the
 * longest, counted as evicted; a file some process still uses, or one
 * pinned at start, is never detached for room. Planning, attaching and
 * detaching are stand-ins, so the files are empty temporary files, each its
 * own inode. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "discover/tls_files.h"
#include "discover/tls_lib.h"
#include "tls_attach_fake.h"

#define N_PATHS (2 * TLS_FILES_MAX)
#define LATER 64 /* later pods' files, past a full table */

static char dir[64];
static char paths[N_PATHS][96];

static int fake_plan(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
		     void *ctx)
{
	(void)path;
	memset(plan, 0, sizeof(*plan));
	plan->lib = TLS_LIB_OPENSSL;
	plan->detected = 1u << TLS_LIB_OPENSSL;
	plan->n = 1;
	return 1;
}

static const struct tls_files_ops fake_ops = {
	.plan = fake_plan, .attach = fake_attach, .detach = fake_detach,
};

static void setup(void)
{
	log__set_level(LOG_WARN); /* one "attached" line per file otherwise */
	snprintf(dir, sizeof(dir), "/tmp/ar-tls-files-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	for (int i = 0; i < N_PATHS; i++) {
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "%s/libssl-%d.so", dir, i);
		fd = open(paths[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		cr_assert_geq(fd, 0, "%s: %s", paths[i], strerror(errno));
		close(fd);
	}
}

static void teardown(void)
{
	for (int i = 0; i < N_PATHS; i++)
		unlink(paths[i]);
	rmdir(dir);
}

static uint64_t evicted(const struct tls_files *t)
{
	struct tls_files_stats s;

	tls_files__stats(t, &s);
	return s.evicted;
}

TestSuite(tls_files, .init = setup, .fini = teardown);

/* Files 0..TLS_FILES_MAX-1, each probed for pid 1000+i; those in idle
 * are left by their process at monotonic time 10+i (file 0 idle longest). */
static struct tls_files *fill(bool (*idle)(int i))
{
	struct tls_files *t = tls_files__new_ops(NULL, false, &fake_ops);

	cr_assert(t);
	for (int i = 0; i < TLS_FILES_MAX; i++)
		cr_assert_eq(tls_files__add(t, 1000 + i, paths[i]), 1, "file %d", i);
	for (int i = 0; i < TLS_FILES_MAX; i++)
		if (idle(i))
			tls_files__proc_exit(t, 1000 + i, 10 + i);
	cr_assert_eq(tls_files__attached(t), TLS_FILES_MAX);
	cr_assert_eq(evicted(t), 0);
	return t;
}

static bool all_idle(int i)
{
	(void)i;
	return true;
}

static bool none_idle(int i)
{
	(void)i;
	return false;
}

static bool all_but_first_idle(int i)
{
	return i != 0;
}

Test(tls_files, full_table_of_idle_files_evicts_for_new_ones)
{
	struct tls_files *t = fill(all_idle);

	/* later pods with new copies: each one still gets probes */
	for (int i = TLS_FILES_MAX; i < TLS_FILES_MAX + LATER; i++)
		cr_assert_eq(tls_files__add(t, 5000 + i, paths[i]), 1, "file %d", i);
	cr_assert_eq(evicted(t), LATER);
	cr_assert_eq(detached, LATER);
	cr_assert_eq(tls_files__attached(t), TLS_FILES_MAX);
	cr_assert_eq(live, TLS_FILES_MAX);
	/* the longest idle went first: file 0 needs probes again, file 511
	 * (idle the shortest) still has them */
	cr_assert_eq(tls_files__add(t, 9000, paths[0]), 1, "evicted file 0 re-attached");
	cr_assert_eq(tls_files__add(t, 9001, paths[TLS_FILES_MAX - 1]), 0, "file 511 kept");
	cr_assert_eq(evicted(t), LATER + 1);
	tls_files__free(t);
	cr_assert_eq(live, 0, "every attachment detached at free");
}

/* Evictions reach the stats line, and through it the self-metrics and
 * /metrics (agentrace_discover_tls_files_evicted_total). */
Test(tls_files, evictions_are_on_the_stats_line)
{
	struct tls_files *t = fill(all_idle);
	char *line = NULL, want[64];
	size_t n = 0;
	FILE *f;

	for (int i = TLS_FILES_MAX; i < TLS_FILES_MAX + 3; i++)
		cr_assert_eq(tls_files__add(t, 5000 + i, paths[i]), 1, "file %d", i);
	f = open_memstream(&line, &n);
	cr_assert(f);
	tls_files__print_stats(t, f);
	fclose(f);
	snprintf(want, sizeof(want), " tls_files_attached=%d ", TLS_FILES_MAX);
	cr_assert(strstr(line, want), "%s", line);
	cr_assert(strstr(line, " tls_probed_openssl=515 "), "%s", line);
	cr_assert(strstr(line, " tls_files_evicted=3"), "%s", line);
	free(line);
	tls_files__free(t);
}

Test(tls_files, files_in_use_are_never_evicted)
{
	struct tls_files *t = fill(none_idle);

	cr_assert_eq(tls_files__add(t, 5000, paths[TLS_FILES_MAX]), -ENOSPC);
	cr_assert_eq(evicted(t), 0);
	cr_assert_eq(detached, 0);
	cr_assert_eq(tls_files__attached(t), TLS_FILES_MAX);
	tls_files__free(t);
	cr_assert_eq(live, 0);
}

Test(tls_files, in_use_file_survives_while_idle_ones_go)
{
	struct tls_files *t = fill(all_but_first_idle);
	/* every idle file is evicted in turn; file 0 is still used by pid 1000 */
	for (int i = TLS_FILES_MAX; i < N_PATHS - 1; i++)
		cr_assert_eq(tls_files__add(t, 5000 + i, paths[i]), 1, "file %d", i);
	cr_assert_eq(evicted(t), TLS_FILES_MAX - 1);
	cr_assert_eq(tls_files__add(t, 9000, paths[0]), 0, "file 0 kept its probes");
	/* now every file is in use: no room, and nothing detached */
	cr_assert_eq(tls_files__add(t, 9001, paths[N_PATHS - 1]), -ENOSPC);
	cr_assert_eq(evicted(t), TLS_FILES_MAX - 1);
	tls_files__free(t);
	cr_assert_eq(live, 0);
}

Test(tls_files, pinned_file_is_never_evicted)
{
	struct tls_files *t = tls_files__new_ops(NULL, false, &fake_ops);

	cr_assert(t);
	cr_assert_eq(tls_files__add(t, 0, paths[0]), 1, "pid 0 pins the system libssl");
	for (int i = 1; i < TLS_FILES_MAX; i++) {
		cr_assert_eq(tls_files__add(t, 1000 + i, paths[i]), 1, "file %d", i);
		tls_files__proc_exit(t, 1000 + i, 10 + i);
	}
	for (int i = TLS_FILES_MAX; i < N_PATHS - 1; i++)
		cr_assert_eq(tls_files__add(t, 5000 + i, paths[i]), 1, "file %d", i);
	cr_assert_eq(evicted(t), TLS_FILES_MAX - 1);
	cr_assert_eq(tls_files__add(t, 9000, paths[0]), 0, "the pinned file kept its probes");
	cr_assert_eq(tls_files__add(t, 9001, paths[N_PATHS - 1]), -ENOSPC);
	tls_files__free(t);
	cr_assert_eq(live, 0);
}
