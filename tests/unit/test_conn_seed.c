// SPDX-License-Identifier: MIT
/* discover/conn_seed.c's reading of /proc/net/tcp and tcp6 lines, as the
 * kernel prints them (net/ipv4/tcp_ipv4.c get_tcp4_sock, tcp_ipv6.c
 * get_tcp6_sock): addresses are the %08X of each network-order word. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <agentrace/events.h>

#include "discover/conn_seed.h"

Test(conn_seed, ipv4_established_line)
{
	const char *line = "   3: 0100007F:A1B2 0200007F:1F90 01 00000000:00000000 00:00000000 "
			   "00000000     0        0 7256570 1 00000000ad2e742f 20 4 30 10 -1";
	struct ar_tuple t;
	uint64_t ino;
	unsigned st;
	uint8_t lo[4] = { 127, 0, 0, 1 }, two[4] = { 127, 0, 0, 2 };

	cr_assert_eq(conn_seed__parse_line(line, 0, &t, &ino, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert_eq(ino, 7256570);
	cr_assert_eq(t.family, AF_INET);
	cr_assert_eq(t.sport, 0xA1B2);
	cr_assert_eq(t.dport, 8080);
	cr_assert(!memcmp(t.saddr, lo, 4) && !memcmp(t.daddr, two, 4),
		  "addresses in network order, as bpf/fdsock.bpf.h read_tuple stores them");
}

Test(conn_seed, ipv6_line_and_listener)
{
	const char *line = "   0: 00000000000000000000000001000000:0050 "
			   "0000000000000000FFFF00000100007F:C350 0A 00000000:00000000 "
			   "00:00000000 00000000     0        0 657 1 000000002c5fc494 100 0 0 10 0";
	struct ar_tuple t;
	struct in6_addr want;
	uint64_t ino;
	unsigned st;

	cr_assert_eq(conn_seed__parse_line(line, 1, &t, &ino, &st), 0);
	cr_assert_eq(st, 0x0A, "a listener, which is not seeded");
	cr_assert_eq(t.family, AF_INET6);
	cr_assert_eq(t.sport, 80);
	cr_assert_eq(t.dport, 50000);
	inet_pton(AF_INET6, "::1", &want);
	cr_assert(!memcmp(t.saddr, &want, 16));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &want);
	cr_assert(!memcmp(t.daddr, &want, 16));
	cr_assert_eq(ino, 657);
}

Test(conn_seed, header_and_garbage_refused)
{
	struct ar_tuple t;
	uint64_t ino;
	unsigned st;

	cr_assert_neq(conn_seed__parse_line("  sl  local_address rem_address   st tx_queue "
					    "rx_queue tr tm->when retrnsmt   uid  timeout inode",
					    0, &t, &ino, &st), 0);
	cr_assert_neq(conn_seed__parse_line("   0: 0100007F:A1B2 0200007F:1F90 01", 0, &t, &ino,
					    &st), 0);
	cr_assert_neq(conn_seed__parse_line("   0: 0100007F:A1B2 0200007F:1F90 01 00000000:00000000"
					    " 00:00000000 00000000 0 0 12 1", 1, &t, &ino, &st), 0,
		      "a v4 line read as v6");
}
