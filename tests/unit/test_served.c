// SPDX-License-Identifier: MIT
/* capture/served: a loopback client's connection meets the server's
 * accept of the same 4-tuple, in either order, so its skip verdict need
 * not wait for a tick (issue #13). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include <agentrace/events.h>

#include "capture/served.h"

#define S 1000000000ull

static struct ar_conn_event open_rec(uint32_t tgid, uint64_t conn_id, uint8_t role,
				     const char *local, uint16_t lport, const char *remote,
				     uint16_t rport, int family, uint64_t ts)
{
	struct ar_conn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = AR_EV_CONN_OPEN;
	ev.hdr.tgid = tgid;
	ev.hdr.conn_id = conn_id;
	ev.hdr.ts_ns = ts;
	ev.role = role;
	ev.tuple.family = family;
	ev.tuple.sport = lport;
	ev.tuple.dport = rport;
	cr_assert_eq(inet_pton(family, local, ev.tuple.saddr), 1);
	cr_assert_eq(inet_pton(family, remote, ev.tuple.daddr), 1);
	return ev;
}

Test(served, a_client_meets_its_acceptor_in_either_order)
{
	struct served *s = served__new();
	/* wrk -> nginx: connect first, then accept (v4-mapped on the client) */
	struct ar_conn_event c1 = open_rec(10, 7, AR_ROLE_CLIENT, "::ffff:127.0.0.1", 40000,
					   "::ffff:127.0.0.1", 8080, AF_INET6, 5 * S);
	struct ar_conn_event a1 = open_rec(20, 8, AR_ROLE_SERVER, "127.0.0.1", 8080,
					   "127.0.0.1", 40000, AF_INET, 5 * S + 1000);
	/* accept first, then connect */
	struct ar_conn_event a2 = open_rec(20, 9, AR_ROLE_SERVER, "127.0.0.1", 8080,
					   "127.0.0.1", 40001, AF_INET, 6 * S);
	struct ar_conn_event c2 = open_rec(10, 11, AR_ROLE_CLIENT, "127.0.0.1", 40001,
					   "127.0.0.1", 8080, AF_INET, 6 * S + 10);

	cr_assert(s);
	served__record(s, &c1, sizeof(c1));
	cr_assert_eq(served__acceptor_of(s, 7), 0, "not accepted yet");
	cr_assert_eq(served__client_of(s, &a1, sizeof(a1)), 7, "before a1 is noted");
	served__record(s, &a1, sizeof(a1));
	cr_assert_eq(served__acceptor_of(s, 7), 20);
	cr_assert_eq(served__client_of(s, &a1, sizeof(a1)), 7, "after too");

	served__record(s, &a2, sizeof(a2));
	cr_assert_eq(served__client_of(s, &a2, sizeof(a2)), 0, "its connect not seen");
	served__record(s, &c2, sizeof(c2));
	cr_assert_eq(served__acceptor_of(s, 11), 20);
	cr_assert_eq(served__acceptor_of(s, 12), 0, "an unknown conn_id");
	served__free(s);
}

/* A 4-tuple used again later (after TIME_WAIT) is another connection: an
 * old accept does not answer for a new connect, nor an accept of another
 * client for this one. */
Test(served, only_the_same_connection_pairs)
{
	struct served *s = served__new();
	struct ar_conn_event a = open_rec(20, 8, AR_ROLE_SERVER, "127.0.0.1", 8080, "127.0.0.1",
					  40000, AF_INET, 1 * S);
	struct ar_conn_event c = open_rec(10, 7, AR_ROLE_CLIENT, "127.0.0.1", 40000, "127.0.0.1",
					  8080, AF_INET, 120 * S);
	struct ar_conn_event other = open_rec(20, 9, AR_ROLE_SERVER, "127.0.0.1", 8080,
					      "127.0.0.1", 40002, AF_INET, 120 * S);
	struct ar_conn_event data = { .hdr = { .type = AR_EV_DATA } };

	served__record(s, &a, sizeof(a));
	served__record(s, &c, sizeof(c));
	cr_assert_eq(served__acceptor_of(s, 7), 0, "an accept two minutes older");
	served__record(s, &other, sizeof(other));
	cr_assert_eq(served__acceptor_of(s, 7), 0, "another client's accept");
	cr_assert_eq(served__client_of(s, &other, sizeof(other)), 0);
	cr_assert_eq(served__client_of(s, &c, sizeof(c)), 0, "a client's record asks nothing");
	cr_assert_eq(served__client_of(s, &data, sizeof(data)), 0);
	cr_assert_eq(served__client_of(s, &a, sizeof(a) - 1), 0, "short");
	served__free(s);
}
