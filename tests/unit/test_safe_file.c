// SPDX-License-Identifier: MIT
/* Files holding plaintext: 0600/0700, never through a symlink or onto a
 * hard link someone planted (the daemon writes them as root). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/file.h"
#include "common/safe_file.h"
#include "conn/dump.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ar-safe-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static char *p(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "%s", path);
	return st.st_mode & 0777;
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(s, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

TestSuite(safe_file, .init = setup, .fini = teardown);

Test(safe_file, creates_owner_only_and_truncates)
{
	int fd;

	write_file(p("old"), "left over");
	chmod(p("old"), 0644);
	fd = safe_file__open(p("old"), false);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(mode_of(p("old")), 0600);
	cr_assert_str_eq(read_file(p("old")), "");
	fd = safe_file__open(p("new"), true);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(mode_of(p("new")), 0600);
}

Test(safe_file, refuses_symlinks_and_hard_links)
{
	write_file(p("victim"), "precious");
	cr_assert_eq(symlink(p("victim"), p("link")), 0);
	cr_assert_eq(safe_file__open(p("link"), false), -ELOOP);
	cr_assert_eq(link(p("victim"), p("hard")), 0);
	cr_assert_eq(safe_file__open(p("hard"), false), -EMLINK);
	cr_assert_str_eq(read_file(p("victim")), "precious");
}

Test(safe_file, dirs_are_0700_and_not_symlinks)
{
	cr_assert_eq(safe_file__mkdirs(p("a/b/c")), 0);
	cr_assert_eq(mode_of(p("a")), 0700);
	cr_assert_eq(mode_of(p("a/b/c")), 0700);
	cr_assert_eq(symlink(p("a"), p("sl")), 0);
	cr_assert_eq(safe_file__mkdirs(p("sl")), -ELOOP);
}

/* The three writers use it: capture file, stream dump, file exporter. */
Test(safe_file, capture_file_refuses_a_symlink)
{
	struct capture_info info = { 0 };
	struct capture_writer *w = NULL;

	write_file(p("victim"), "precious");
	cr_assert_eq(symlink(p("victim"), p("cap.agt")), 0);
	cr_assert_eq(capture_writer__open(p("cap.agt"), &info, &w), -ELOOP);
	cr_assert_str_eq(read_file(p("victim")), "precious");
	cr_assert_eq(capture_writer__open(p("real.agt"), &info, &w), 0);
	capture_writer__close(w);
	cr_assert_eq(mode_of(p("real.agt")), 0600);
}

Test(safe_file, stream_dump_dir_is_owner_only)
{
	struct stream_dump *d = stream_dump__new(p("dump"));

	cr_assert_not_null(d);
	cr_assert_eq(mode_of(p("dump")), 0700);
	cr_assert_eq(stream_dump__finish(d), 0);
	cr_assert_eq(mode_of(p("dump/index.tsv")), 0600);
}
