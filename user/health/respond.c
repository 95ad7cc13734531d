// SPDX-License-Identifier: MIT
/* The health endpoint's pure half: address parsing and fixed responses. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/health.h"

int health__parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res = NULL;
	char host[64] = "127.0.0.1", port[8];
	const char *colon, *p;
	unsigned long n;
	char *end;

	if (!addr || !*addr)
		return -EINVAL;
	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');

		if (!rb || rb[1] != ':' || rb - addr - 1 <= 0 ||
		    (size_t)(rb - addr - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - addr - 1), addr + 1);
		p = rb + 2;
	} else if ((colon = strrchr(addr, ':'))) {
		if (strchr(addr, ':') != colon) /* bare IPv6 needs brackets */
			return -EINVAL;
		if (colon != addr) {
			if ((size_t)(colon - addr) >= sizeof(host))
				return -EINVAL;
			snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		}
		p = colon + 1;
	} else {
		p = addr;
	}
	errno = 0;
	n = strtoul(p, &end, 10);
	if (!*p || *end || errno || n > 65535 || *p == '-' || *p == '+')
		return -EINVAL;
	snprintf(port, sizeof(port), "%lu", n);
	if (getaddrinfo(host, port, &hints, &res) || !res)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static size_t answer(char *out, size_t cap, int code, const char *reason, const char *body,
		     bool head)
{
	int n = snprintf(out, cap,
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			 "Connection: close\r\n\r\n%s",
			 code, reason, strlen(body), head ? "" : body);

	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* True when path (up to a space) is want, optionally followed by a query. */
static bool path_is(const char *path, size_t plen, const char *want)
{
	size_t wl = strlen(want);

	return plen >= wl && memcmp(path, want, wl) == 0 && (plen == wl || path[wl] == '?');
}

bool health__is_metrics(const char *req, size_t len, bool *head)
{
	static const char get[] = "GET /metrics", hd[] = "HEAD /metrics";
	size_t n;

	*head = len > sizeof(hd) && !memcmp(req, hd, sizeof(hd) - 1);
	n = *head ? sizeof(hd) - 1 : sizeof(get) - 1;
	if (!*head && (len <= n || memcmp(req, get, n)))
		return false;
	return req[n] == ' ' || req[n] == '?';
}

size_t health__respond(const char *req, size_t len, bool ready, uint64_t stalled_ns,
		       char *out, size_t cap)
{
	const char *line_end, *sp1, *sp2, *path;
	bool complete = false, head;
	size_t plen;

	for (size_t i = 0; i + 1 < len && !complete; i++)
		complete = (req[i] == '\n' && req[i + 1] == '\n') ||
			   (i + 3 < len && !memcmp(req + i, "\r\n\r\n", 4));
	if (!complete && len < HEALTH_REQ_MAX)
		return 0;
	line_end = memchr(req, '\n', len);
	sp1 = line_end ? memchr(req, ' ', line_end - req) : NULL;
	sp2 = sp1 ? memchr(sp1 + 1, ' ', line_end - sp1 - 1) : NULL;
	if (!complete || !sp2 || sp2 == sp1 + 1 || line_end - sp2 < 9 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return answer(out, cap, 400, "Bad Request", "bad request\n", false);
	head = sp1 - req == 4 && !memcmp(req, "HEAD", 4);
	if (!head && !(sp1 - req == 3 && !memcmp(req, "GET", 3)))
		return answer(out, cap, 405, "Method Not Allowed", "method not allowed\n", false);
	path = sp1 + 1;
	plen = sp2 - path;
	if (path_is(path, plen, "/healthz"))
		return stalled_ns < HEALTH_STALL_NS
			       ? answer(out, cap, 200, "OK", "ok\n", head)
			       : answer(out, cap, 503, "Service Unavailable", "main loop stalled\n", head);
	if (path_is(path, plen, "/readyz"))
		return ready ? answer(out, cap, 200, "OK", "ready\n", head)
			     : answer(out, cap, 503, "Service Unavailable", "not ready\n", head);
	return answer(out, cap, 404, "Not Found", "not found\n", head);
}
