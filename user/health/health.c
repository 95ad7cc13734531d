// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
/* The health endpoint's server thread: one poll loop over the listening
 * socket, a stop pipe and a few short-lived connections. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "health/health.h"

struct health_conn {
	int fd;               /* -1: free slot */
	uint64_t deadline;    /* monotonic ns: close unanswered after this */
	size_t len;
	char buf[HEALTH_REQ_MAX];
};

struct health {
	int lfd;
	int stop_pipe[2];
	uint16_t port;
	pthread_t thread;
	_Atomic uint64_t last_beat;
	atomic_bool ready;
	pthread_mutex_t metrics_lock;
	char *metrics;          /* /metrics body, owned; NULL: none yet */
	size_t metrics_len;
	struct health_conn conns[HEALTH_MAX_CONNS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void conn_close(struct health_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Writes all of buf to the nonblocking fd, waiting at most 1 s for room. */
static void write_all(int fd, const char *buf, size_t len)
{
	uint64_t deadline = mono_ns() + 1000000000ull;

	while (len) {
		ssize_t n = write(fd, buf, len);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if ((n < 0 && errno != EAGAIN && errno != EINTR) || mono_ns() >= deadline ||
		    poll(&p, 1, 100) < 0) {
			debug("health: write failed: %s", strerror(errno));
			return;
		}
	}
}

/* Answers /metrics from the last published text. */
static void send_metrics(struct health *h, int fd, bool head)
{
	char hdr[256];
	int n;

	pthread_mutex_lock(&h->metrics_lock);
	if (!h->metrics) { /* before the first stats round */
		pthread_mutex_unlock(&h->metrics_lock);
		n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 503 Service Unavailable\r\n"
			     "Content-Length: 0\r\nConnection: close\r\n\r\n");
		write_all(fd, hdr, n);
		return;
	}
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		     "Content-Length: %zu\r\nCache-Control: no-store\r\n"
		     "Connection: close\r\n\r\n", h->metrics_len);
	write_all(fd, hdr, n);
	if (!head && h->metrics)
		write_all(fd, h->metrics, h->metrics_len);
	pthread_mutex_unlock(&h->metrics_lock);
}

/* Reads what the client sent; answers and closes once a request is whole. */
static void conn_read(struct health *h, struct health_conn *c)
{
	char out[512];
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	size_t rlen;
	bool head;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += n;
	rlen = health__respond(c->buf, c->len, atomic_load(&h->ready),
			       mono_ns() - atomic_load(&h->last_beat), out, sizeof(out));
	if (!rlen)
		return;
	if (health__is_metrics(c->buf, c->len, &head)) {
		send_metrics(h, c->fd, head);
		conn_close(c);
		return;
	}
	/* A few hundred bytes fit any socket buffer; a short write just ends
	 * the connection early, which a probe treats as failure. */
	if (write(c->fd, out, rlen) < 0)
		debug("health: write failed: %s", strerror(errno));
	conn_close(c);
}

static void conn_accept(struct health *h)
{
	int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < HEALTH_MAX_CONNS; i++) {
		struct health_conn *c = &h->conns[i];

		if (c->fd < 0) {
			c->fd = fd;
			c->len = 0;
			c->deadline = mono_ns() + HEALTH_READ_TIMEOUT_MS * 1000000ull;
			return;
		}
	}
	close(fd); /* unreachable: the listener is not polled when full */
}

static void *serve(void *arg)
{
	struct health *h = arg;

	for (;;) {
		struct pollfd pfd[HEALTH_MAX_CONNS + 2];
		int slot[HEALTH_MAX_CONNS + 2];
		int n = 0, open = 0;
		uint64_t now = mono_ns();

		pfd[n++] = (struct pollfd){ .fd = h->stop_pipe[0], .events = POLLIN };
		for (int i = 0; i < HEALTH_MAX_CONNS; i++) {
			struct health_conn *c = &h->conns[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				conn_close(c);
				continue;
			}
			slot[n] = i;
			pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			open++;
		}
		if (open < HEALTH_MAX_CONNS)
			pfd[n++] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
		/* Wake at least every 100 ms to enforce read deadlines. */
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (int i = 1; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == h->lfd)
				conn_accept(h);
			else
				conn_read(h, &h->conns[slot[i]]);
		}
	}
	return NULL;
}

static void release(struct health *h)
{
	for (int i = 0; i < HEALTH_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0)
			close(h->conns[i].fd);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->stop_pipe[0] >= 0)
		close(h->stop_pipe[0]);
	if (h->stop_pipe[1] >= 0)
		close(h->stop_pipe[1]);
	pthread_mutex_destroy(&h->metrics_lock);
	free(h->metrics);
	free(h);
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int health__start(const char *addr, struct health **out)
{
	struct sockaddr_storage ss;
	sigset_t all, old;
	socklen_t len;
	struct health *h;
	int one = 1, err;

	err = health__parse_addr(addr, &ss, &len);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->lfd = h->stop_pipe[0] = h->stop_pipe[1] = -1;
	pthread_mutex_init(&h->metrics_lock, NULL);
	for (int i = 0; i < HEALTH_MAX_CONNS; i++)
		h->conns[i].fd = -1;
	atomic_store(&h->last_beat, mono_ns());
	if (pipe2(h->stop_pipe, O_CLOEXEC)) {
		err = -errno;
		goto cleanup;
	}
	h->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0) {
		err = -errno;
		goto cleanup;
	}
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&ss, len) || listen(h->lfd, 16)) {
		err = -errno;
		goto cleanup;
	}
	h->port = bound_port(h->lfd);
	/* Signals belong to the main thread, whose loop watches the flag. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&h->thread, NULL, serve, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto cleanup;
	info("health endpoint on %s (port %u): /healthz, /readyz, /metrics", addr, h->port);
	*out = h;
	return 0;
cleanup:
	release(h);
	return err;
}

void health__set_ready(struct health *h)
{
	if (h)
		atomic_store(&h->ready, true);
}

void health__beat(struct health *h)
{
	if (h)
		atomic_store(&h->last_beat, mono_ns());
}

int health__set_metrics(struct health *h, const char *text, size_t len)
{
	char *copy;

	if (!h)
		return 0;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	pthread_mutex_lock(&h->metrics_lock);
	free(h->metrics);
	h->metrics = copy;
	h->metrics_len = len;
	pthread_mutex_unlock(&h->metrics_lock);
	return 0;
}

uint16_t health__port(const struct health *h)
{
	return h ? h->port : 0;
}

void health__stop(struct health *h)
{
	if (!h)
		return;
	/* One byte into an empty pipe we own: only EINTR can get in the way. */
	while (write(h->stop_pipe[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(h->thread, NULL);
	release(h);
}
