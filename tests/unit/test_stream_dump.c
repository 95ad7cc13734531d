// SPDX-License-Identifier: MIT
/* Stream dumper: per-direction files and index.tsv, driven through the
 * connection table as `agentrace analyze --dump-streams` does. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <agentrace/events.h>

#include "conn/dump.h"
#include "conn/table.h"

static char dir[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ar_dump_test.%d", getpid());
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

TestSuite(stream_dump_files, .init = setup, .fini = teardown);

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void expect_file(const char *sub, const char *want)
{
	char path[256];
	size_t len;
	char *got;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	got = slurp(path, &len);
	cr_assert_not_null(got, "%s missing", path);
	cr_expect_eq(len, strlen(want), "%s: %zu bytes", sub, len);
	cr_expect_str_eq(got, want, "%s", sub);
	free(got);
}

static uint8_t buf[sizeof(struct ar_data_event) + 4096];

static void feed_data(struct conn_table *t, uint32_t tgid, uint64_t id, int dir_, uint64_t seq,
		      const char *s, uint16_t flags)
{
	struct ar_data_event *d = (void *)buf;
	size_t n = strlen(s);

	memset(d, 0, sizeof(*d));
	d->hdr.type = AR_EV_DATA;
	d->hdr.flags = flags;
	d->hdr.tgid = tgid;
	d->hdr.conn_id = id;
	d->seq = seq;
	d->fd = 3;
	d->len = (uint32_t)n;
	d->dir = (uint8_t)dir_;
	strcpy(d->comm, "py\tagent");
	memcpy(d->data, s, n);
	cr_assert_eq(conn_table__handle(t, buf, sizeof(*d) + n), 0);
}

static void feed_conn(struct conn_table *t, int type, uint32_t tgid, uint64_t id, int family,
		      const char *src, uint16_t sport, const char *dst, uint16_t dport,
		      uint8_t role, uint64_t eg, uint64_t in)
{
	struct ar_conn_event e = { 0 };

	e.hdr.type = (uint16_t)type;
	e.hdr.tgid = tgid;
	e.hdr.conn_id = id;
	e.role = role;
	e.fd = 3;
	if (family) {
		e.tuple.family = (uint16_t)family;
		inet_pton(family, src, e.tuple.saddr);
		inet_pton(family, dst, e.tuple.daddr);
		e.tuple.sport = sport;
		e.tuple.dport = dport;
	}
	e.bytes[0] = eg;
	e.bytes[1] = in;
	strcpy(e.comm, "node");
	cr_assert_eq(conn_table__handle(t, &e, sizeof(e)), 0);
}

Test(stream_dump_files, files_and_index)
{
	char sub[160];
	struct stream_dump *d;
	struct stream_sink s;
	struct conn_table *t;

	snprintf(sub, sizeof(sub), "%s/a/b", dir); /* parents get created */
	d = stream_dump__new(sub);
	cr_assert_not_null(d, "%s", strerror(errno));
	s = stream_dump__sink(d);
	t = conn_table__new(NULL, &s);

	/* IPv4 client with a lost tail on ingress. */
	feed_conn(t, AR_EV_CONN_OPEN, 100, 7, AF_INET, "10.0.0.2", 40007, "93.184.216.34", 443,
		  AR_ROLE_CLIENT, 0, 0);
	feed_data(t, 100, 7, AR_DIR_EGRESS, 0, "GET / HTTP/1.1\r\n", 0);
	feed_data(t, 100, 7, AR_DIR_EGRESS, 16, "\r\n", 0);
	feed_data(t, 100, 7, AR_DIR_INGRESS, 0, "HTTP/1.1 200 OK\r\n", 0);
	feed_conn(t, AR_EV_CONN_CLOSE, 100, 7, 0, NULL, 0, NULL, 0, 0, 18, 25);
	/* TLS stream with no known socket, with a hole in the middle. */
	feed_data(t, 200, 9, AR_DIR_EGRESS, 0, "POST", AR_F_TLS);
	feed_data(t, 200, 9, AR_DIR_EGRESS, 10, "tail", AR_F_TLS);
	/* IPv6 server; still open when the table is freed. */
	feed_conn(t, AR_EV_CONN_OPEN, 300, 12, AF_INET6, "2001:db8::5", 8080, "::1", 51000,
		  AR_ROLE_SERVER, 0, 0);
	feed_data(t, 300, 12, AR_DIR_INGRESS, 0, "PUT", 0);
	conn_table__free(t);
	cr_assert_eq(stream_dump__finish(d), 0);

	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/a/b");
	expect_file("100-7-egress.bin", "GET / HTTP/1.1\r\n\r\n");
	expect_file("100-7-ingress.bin", "HTTP/1.1 200 OK\r\n");
	expect_file("200-9-egress.bin", "POSTtail"); /* no filler for the gap */
	expect_file("300-12-ingress.bin", "PUT");
	expect_file("index.tsv",
		    "file\tpid\tcomm\tconn_id\tdir\trole\ttls\tlocal\tremote\tbytes\tgap_bytes\trole_by\n"
		    "100-7-egress.bin\t100\tnode\t7\tegress\tclient\t0\t10.0.0.2:40007\t93.184.216.34:443\t18\t0\tsyscall\n"
		    "100-7-ingress.bin\t100\tnode\t7\tingress\tclient\t0\t10.0.0.2:40007\t93.184.216.34:443\t17\t8\tsyscall\n"
		    "200-9-egress.bin\t200\tpy?agent\t9\tegress\tunknown\t1\t-\t-\t8\t6\tnone\n"
		    "300-12-ingress.bin\t300\tnode\t12\tingress\tserver\t0\t[2001:db8::5]:8080\t[::1]:51000\t3\t0\tsyscall\n");
	*strrchr(dir, '/') = '\0';
	*strrchr(dir, '/') = '\0';
}

static int count_fds(void)
{
	DIR *dp = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(dp);
	while ((de = readdir(dp)))
		n++;
	closedir(dp);
	return n;
}

Test(stream_dump_files, many_conns_bounded_open_files)
{
	struct stream_dump *d = stream_dump__new(dir);
	struct stream_sink s = stream_dump__sink(d);
	struct conn_table *t = conn_table__new(NULL, &s);
	const int nconn = 3 * DUMP_MAX_OPEN, rounds = 5;
	int base = count_fds(), peak = 0;
	char chunk[32], name[64], want[256];

	for (int r = 0; r < rounds; r++)
		for (int c = 1; c <= nconn; c++) {
			int n;

			snprintf(chunk, sizeof(chunk), "c%d-r%d;", c, r);
			/* seq = bytes so far: every chunk of conn c has the same length per round */
			n = 0;
			for (int k = 0; k < r; k++) {
				char tmp[32];

				n += snprintf(tmp, sizeof(tmp), "c%d-r%d;", c, k);
			}
			feed_data(t, 42, (uint64_t)c, c & 1, (uint64_t)n, chunk, 0);
			if (count_fds() - base > peak)
				peak = count_fds() - base;
		}
	cr_expect_leq(peak, DUMP_MAX_OPEN, "peak %d open files", peak);
	cr_expect_geq(peak, 1, "files stay open between writes");
	conn_table__free(t);
	cr_assert_eq(stream_dump__finish(d), 0);
	cr_expect_leq(count_fds(), base);
	for (int c = 1; c <= nconn; c++) {
		size_t off = 0;

		for (int r = 0; r < rounds; r++)
			off += (size_t)snprintf(want + off, sizeof(want) - off, "c%d-r%d;", c, r);
		snprintf(name, sizeof(name), "42-%d-%s.bin", c, c & 1 ? "ingress" : "egress");
		expect_file(name, want);
	}
}

Test(stream_dump_files, stale_files_are_truncated)
{
	struct stream_dump *d = stream_dump__new(dir);
	struct stream_sink s = stream_dump__sink(d);
	struct conn_table *t = conn_table__new(NULL, &s);
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/1-5-egress.bin", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("OLD CONTENT FROM A PREVIOUS RUN", f);
	fclose(f);
	feed_data(t, 1, 5, AR_DIR_EGRESS, 0, "new", 0);
	conn_table__free(t);
	cr_assert_eq(stream_dump__finish(d), 0);
	expect_file("1-5-egress.bin", "new");
}

Test(stream_dump_files, gap_only_direction_gets_empty_file)
{
	struct stream_dump *d = stream_dump__new(dir);
	struct stream_sink s = stream_dump__sink(d);
	struct conn_table *t = conn_table__new(NULL, &s);

	feed_data(t, 8, 3, AR_DIR_EGRESS, 0, "hi", 0);
	feed_conn(t, AR_EV_CONN_CLOSE, 8, 3, 0, NULL, 0, NULL, 0, 0, 2, 100);
	conn_table__free(t);
	cr_assert_eq(stream_dump__finish(d), 0);
	expect_file("8-3-egress.bin", "hi");
	expect_file("8-3-ingress.bin", "");
	expect_file("index.tsv",
		    "file\tpid\tcomm\tconn_id\tdir\trole\ttls\tlocal\tremote\tbytes\tgap_bytes\trole_by\n"
		    "8-3-egress.bin\t8\tpy?agent\t3\tegress\tunknown\t0\t-\t-\t2\t0\tnone\n"
		    "8-3-ingress.bin\t8\tpy?agent\t3\tingress\tunknown\t0\t-\t-\t0\t100\tnone\n");
}

Test(stream_dump_files, new_fails_cleanly)
{
	char path[192];
	FILE *f;

	cr_assert_eq(stream_dump__finish(stream_dump__new(dir)), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	errno = 0;
	cr_expect_null(stream_dump__new(path));
	cr_expect_eq(errno, ENOTDIR);
	snprintf(path, sizeof(path), "%s/file/sub", dir);
	errno = 0;
	cr_expect_null(stream_dump__new(path));
	cr_expect_eq(errno, ENOTDIR);
	cr_expect_eq(stream_dump__finish(NULL), 0);
}
