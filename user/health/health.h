/* SPDX-License-Identifier: MIT */
/*
 * --health-addr: a tiny HTTP/1.1 server on its own thread for liveness and
 * readiness probes.
 *   GET /healthz  200 while the main loop beats (health__beat), 503 once it
 *                 has not beaten for HEALTH_STALL_NS
 *   GET /readyz   200 after health__set_ready (probes attached), 503 before
 *   GET /metrics  the last health__set_metrics text (Prometheus exposition)
 * anything else 404 (405 for other methods, 400 for garbage). Every answer
 * is fixed and closes the connection; at most HEALTH_MAX_CONNS connections
 * are open and each gets HEALTH_READ_TIMEOUT_MS to send its request.
 */
#ifndef AR_HEALTH_H
#define AR_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HEALTH_STALL_NS (10 * 1000000000ull)
#define HEALTH_MAX_CONNS 8
#define HEALTH_READ_TIMEOUT_MS 1000
#define HEALTH_REQ_MAX 1024

struct health;

/*
 * Parses addr ("HOST:PORT", "[V6]:PORT", ":PORT" or "PORT"; HOST numeric,
 * 127.0.0.1 when empty), binds and listens, and starts the server thread.
 * Returns 0 and *out, or -EINVAL for a bad address, or -errno from
 * socket/bind/listen/pthread_create (nothing is left running).
 */
int health__start(const char *addr, struct health **out);

/* /readyz answers 200 from now on. Thread-safe. */
void health__set_ready(struct health *h);

/* The main loop is alive. Thread-safe; call it at least every few seconds. */
void health__beat(struct health *h);

/* Replaces the /metrics body with a copy of text[0..len). Thread-safe;
 * on -ENOMEM the old body stays. NULL h is a no-op. */
int health__set_metrics(struct health *h, const char *text, size_t len);

/* The bound port (useful with port 0). */
uint16_t health__port(const struct health *h);

/* Stops the thread and closes every socket. NULL is a no-op. */
void health__stop(struct health *h);

/* Pure helpers, exposed for the unit tests. */

/* addr as health__start takes it. Returns 0 or -EINVAL. */
int health__parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len);

/*
 * The response to the request bytes in req[0..len): 0 while the header
 * block is incomplete and len < HEALTH_REQ_MAX (wait for more), else the
 * length of a complete response written to out (cap >= 256). stalled_ns is
 * how long ago the main loop last beat.
 */
size_t health__respond(const char *req, size_t len, bool ready, uint64_t stalled_ns,
		       char *out, size_t cap);

/* True when the complete request in req[0..len) is GET or HEAD /metrics;
 * *head tells which. */
bool health__is_metrics(const char *req, size_t len, bool *head);

#endif
