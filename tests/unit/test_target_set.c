// SPDX-License-Identifier: MIT
/* Who makes spans under bounded capture (issue #13), decided from a capture
 * file's records alone as analyze does (target_set with no kernel): data
 * copied whole, AR_EV_TARGET promotion records, and connection records
 * that show an untargeted process calling a target's server. The records
 * go through a real capture file, written and read back. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <agentrace/events.h>

#include "capture/file.h"
#include "capture/target_set.h"

enum { AGENT = 100, SCRIPT = 200, OTHER = 300, SELECTED = 400, NOBODY = 500 };

static void conn_open(struct ar_conn_event *ev, uint32_t tgid, uint64_t conn_id, uint8_t role,
		      const char *local, uint16_t lport, const char *remote, uint16_t rport,
		      int family)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = AR_EV_CONN_OPEN;
	ev->hdr.tgid = tgid;
	ev->hdr.conn_id = conn_id;
	ev->role = role;
	ev->tuple.family = family;
	ev->tuple.sport = lport;
	ev->tuple.dport = rport;
	cr_assert_eq(inet_pton(family, local, ev->tuple.saddr), 1);
	cr_assert_eq(inet_pton(family, remote, ev->tuple.daddr), 1);
}

static void data(struct ar_data_event *ev, uint32_t tgid, uint64_t conn_id, uint16_t flags)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = AR_EV_DATA;
	ev->hdr.tgid = tgid;
	ev->hdr.conn_id = conn_id;
	ev->hdr.flags = flags;
}

/* Writes the records, reads them back and feeds them one by one to ts,
 * calling check(i) after record i. */
static void round_trip(struct target_set *ts, void (*check)(struct target_set *, int))
{
	char path[64];
	struct capture_info ci = { .chunk_max = AR_CHUNK_MAX, .bounded_bytes = 4096 };
	struct capture_writer *w;
	struct capture_reader *r;
	struct ar_conn_event c[3];
	struct ar_data_event d[3];
	struct ar_target_event t = { .hdr = { .type = AR_EV_TARGET, .tgid = AGENT } };
	const void *recs[7];
	size_t lens[7];
	const void *rec;
	size_t len;
	int n = 0;

	/* the agent serves 127.0.0.1:8080; the script calls it over a
	 * v4-mapped IPv6 socket; another process calls a port nobody serves */
	conn_open(&c[0], AGENT, 11, AR_ROLE_SERVER, "127.0.0.1", 8080, "127.0.0.1", 40000,
		  AF_INET);
	conn_open(&c[1], SCRIPT, 7, AR_ROLE_CLIENT, "::ffff:127.0.0.1", 40000,
		  "::ffff:127.0.0.1", 8080, AF_INET6);
	conn_open(&c[2], OTHER, 8, AR_ROLE_CLIENT, "127.0.0.1", 40001, "127.0.0.1", 9999,
		  AF_INET);
	data(&d[0], AGENT, 12, AR_F_BOUNDED); /* its LLM request, before promotion */
	data(&d[1], SELECTED, 13, 0);         /* copied whole: a target */
	data(&d[2], NOBODY, 14, AR_F_BOUNDED);
	recs[0] = &c[0], recs[1] = &c[1], recs[2] = &c[2], recs[3] = &d[0];
	recs[4] = &t, recs[5] = &d[1], recs[6] = &d[2];
	for (int i = 0; i < 7; i++)
		lens[i] = i < 3 ? sizeof(c[0]) : i == 4 ? sizeof(t) : sizeof(d[0]);
	snprintf(path, sizeof(path), "/tmp/ar_target_set_test.%d", getpid());
	cr_assert_eq(capture_writer__open(path, &ci, &w), 0);
	for (int i = 0; i < 7; i++)
		cr_assert_eq(capture_writer__write(w, recs[i], lens[i]), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_eq(capture_reader__open(path, &ci, &r), 0);
	cr_assert_eq(ci.bounded_bytes, 4096);
	while (capture_reader__next(r, &rec, &len) > 0) {
		target_set__record(ts, rec, len);
		check(ts, n++);
	}
	cr_assert_eq(n, 7, "%s", capture_reader__error(r));
	capture_reader__close(r);
	unlink(path);
}

static void check_step(struct target_set *ts, int i)
{
	/* the script calls the agent's endpoint, but the agent is a target
	 * only from its promotion record on */
	cr_assert_eq(target_set__calls_target(ts, 7), i >= 4, "after record %d", i);
	cr_assert_eq(target_set__has(ts, AGENT), i >= 4, "after record %d", i);
	cr_assert_eq(target_set__has(ts, SELECTED), i >= 5, "after record %d", i);
}

Test(target_set, analyze_knows_targets_and_their_callers_from_the_file)
{
	struct target_set *ts = target_set__new(NULL);

	cr_assert_not_null(ts);
	round_trip(ts, check_step);
	cr_assert_not(target_set__has(ts, SCRIPT), "a caller is no target itself");
	cr_assert_not(target_set__has(ts, OTHER));
	cr_assert_not(target_set__has(ts, NOBODY), "bounded data makes no target");
	cr_assert_not(target_set__calls_target(ts, 8), "port 9999 is served by nobody");
	cr_assert_not(target_set__calls_target(ts, 12), "not a client connection we saw");
	cr_assert(target_set__calls_local(ts, 8));
	cr_assert(target_set__calls_local(ts, 7), "v4-mapped loopback");
	target_set__free(ts);
}
