// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health.h"

#define SEC 1000000000ull

static char out[512];

static const char *resp(const char *req, bool ready, uint64_t stalled)
{
	size_t n = health__respond(req, strlen(req), ready, stalled, out, sizeof(out));

	out[n] = 0;
	return out;
}

static bool status_is(const char *r, int code)
{
	char want[32];

	snprintf(want, sizeof(want), "HTTP/1.1 %d ", code);
	return strncmp(r, want, strlen(want)) == 0;
}

Test(health_respond, healthz_follows_the_heartbeat)
{
	cr_assert(status_is(resp("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false, 0), 200));
	cr_assert(strstr(out, "Content-Length: 3\r\n") && strstr(out, "\r\n\r\nok\n"));
	cr_assert(strstr(out, "Connection: close\r\n"));
	cr_assert(status_is(resp("GET /healthz HTTP/1.1\r\n\r\n", true, 9 * SEC), 200));
	cr_assert(status_is(resp("GET /healthz HTTP/1.1\r\n\r\n", true, 10 * SEC), 503));
}

Test(health_respond, readyz_follows_ready)
{
	cr_assert(status_is(resp("GET /readyz HTTP/1.1\r\n\r\n", false, 0), 503));
	cr_assert(status_is(resp("GET /readyz HTTP/1.1\r\n\r\n", true, 0), 200));
	/* Readiness does not depend on the heartbeat. */
	cr_assert(status_is(resp("GET /readyz HTTP/1.0\r\n\r\n", true, 60 * SEC), 200));
	cr_assert(status_is(resp("GET /readyz?verbose=1 HTTP/1.1\r\n\r\n", true, 0), 200));
}

Test(health_respond, other_paths_and_methods)
{
	cr_assert(status_is(resp("GET / HTTP/1.1\r\n\r\n", true, 0), 404));
	cr_assert(status_is(resp("GET /healthzz HTTP/1.1\r\n\r\n", true, 0), 404));
	cr_assert(status_is(resp("GET /readyz/x HTTP/1.1\r\n\r\n", true, 0), 404));
	cr_assert(status_is(resp("POST /healthz HTTP/1.1\r\n\r\n", true, 0), 405));
	cr_assert(status_is(resp("GETX /healthz HTTP/1.1\r\n\r\n", true, 0), 405));
}

Test(health_respond, head_has_no_body)
{
	cr_assert(status_is(resp("HEAD /healthz HTTP/1.1\r\n\r\n", true, 0), 200));
	cr_assert(strstr(out, "Content-Length: 3\r\n"));
	cr_assert(strcmp(out + strlen(out) - 4, "\r\n\r\n") == 0);
}

Test(health_respond, waits_for_the_whole_header_block)
{
	const char *part = "GET /healthz HTTP/1.1\r\nHost: x\r\n";

	cr_assert_eq(health__respond(part, strlen(part), true, 0, out, sizeof(out)), 0);
	cr_assert_eq(health__respond("", 0, true, 0, out, sizeof(out)), 0);
	/* Bare LF line ends are accepted (curl never sends them; nc does). */
	cr_assert(status_is(resp("GET /healthz HTTP/1.1\n\n", true, 0), 200));
}

Test(health_respond, garbage_is_400)
{
	char big[HEALTH_REQ_MAX];

	cr_assert(status_is(resp("\r\n\r\n", true, 0), 400));
	cr_assert(status_is(resp("GET /healthz\r\n\r\n", true, 0), 400));
	cr_assert(status_is(resp("GET /healthz SPDY/3\r\n\r\n", true, 0), 400));
	cr_assert(status_is(resp("GET  HTTP/1.1\r\n\r\n", true, 0), 400));
	cr_assert(status_is(resp("\x16\x03\x01\x02\x01 \x01\r\n\r\n", true, 0), 400));
	/* A full buffer without a blank line is answered, not waited on. */
	memset(big, 'A', sizeof(big));
	cr_assert_gt(health__respond(big, sizeof(big), true, 0, out, sizeof(out)), 0);
	cr_assert(status_is(out, 400));
}

Test(health_addr, forms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	cr_assert_eq(health__parse_addr("127.0.0.1:8686", &ss, &len), 0);
	cr_assert_eq(ss.ss_family, AF_INET);
	cr_assert_eq(ntohs(in->sin_port), 8686);
	cr_assert_eq(in->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	cr_assert_eq(health__parse_addr(":9", &ss, &len), 0);
	cr_assert_eq(in->sin_addr.s_addr, htonl(INADDR_LOOPBACK), "empty host is loopback");
	cr_assert_eq(health__parse_addr("9", &ss, &len), 0);
	cr_assert_eq(ntohs(in->sin_port), 9);
	cr_assert_eq(health__parse_addr("0.0.0.0:0", &ss, &len), 0);
	cr_assert_eq(in->sin_addr.s_addr, 0);
	cr_assert_eq(health__parse_addr("[::1]:8686", &ss, &len), 0);
	cr_assert_eq(ss.ss_family, AF_INET6);
	cr_assert_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8686);
}

Test(health_addr, rejects)
{
	const char *bad[] = { "", "localhost:80", "127.0.0.1:", "127.0.0.1:65536",
			      "127.0.0.1:-1", "::1:80", "[::1]80", "[]:80", "1.2.3.4:8a",
			      "300.1.1.1:80" };
	struct sockaddr_storage ss;
	socklen_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(health__parse_addr(bad[i], &ss, &len), -EINVAL, "%s", bad[i]);
}

/* One request over a real loopback socket; returns the status code. */
static int get(uint16_t port, const char *path)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[128], buf[512] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;
	ssize_t n, got = 0;

	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd);
	sscanf(buf, "HTTP/1.1 %d", &code);
	return code;
}

Test(health_server, serves_over_loopback)
{
	struct health *h = NULL;
	uint16_t port;

	cr_assert_eq(health__start("127.0.0.1:0", &h), 0);
	port = health__port(h);
	cr_assert_neq(port, 0);
	cr_assert_eq(get(port, "/healthz"), 200);
	cr_assert_eq(get(port, "/readyz"), 503);
	health__set_ready(h);
	health__beat(h);
	cr_assert_eq(get(port, "/readyz"), 200);
	cr_assert_eq(get(port, "/metrics"), 503, "no stats rendered yet");
	cr_assert_eq(health__set_metrics(h, "agentrace_x_total 1\n", 21), 0);
	cr_assert_eq(get(port, "/metrics"), 200);
	cr_assert_eq(get(port, "/metricsx"), 404);
	health__stop(h);
}

Test(health_server, silent_client_is_dropped_after_timeout)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct health *h = NULL;
	int fds[HEALTH_MAX_CONNS];
	char c;

	cr_assert_eq(health__start("127.0.0.1:0", &h), 0);
	a.sin_port = htons(health__port(h));
	/* Fill every slot with a client that never sends: each is closed at
	 * its deadline (read returns 0), and the server still answers. */
	for (int i = 0; i < HEALTH_MAX_CONNS; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		cr_assert_eq(connect(fds[i], (struct sockaddr *)&a, sizeof(a)), 0);
	}
	for (int i = 0; i < HEALTH_MAX_CONNS; i++) {
		cr_assert_eq(read(fds[i], &c, 1), 0);
		close(fds[i]);
	}
	cr_assert_eq(get(health__port(h), "/healthz"), 200);
	health__stop(h);
}

Test(health_server, bad_address_starts_nothing)
{
	struct health *h = NULL;

	cr_assert_eq(health__start("nope", &h), -EINVAL);
	cr_assert_null(h);
	health__stop(NULL);
}
