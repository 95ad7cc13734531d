/* SPDX-License-Identifier: MIT */
/* Who serves each TCP endpoint on this host, and where each connection
 * goes, learnt from connection records (AR_EV_CONN_OPEN carries the
 * 4-tuple): a process that is not a target can then be told to be calling
 * one (issue #13: it gets its CLIENT span, and its connection no skip
 * verdict). Works the same live and on a capture file. Three direct-mapped
 * tables of fixed memory (about 3 MiB); a colliding entry evicts the older
 * one, which then answers "unknown" (no span, a verdict as usual). IPv4-
 * mapped IPv6 addresses are folded to IPv4, so both ends of a loopback
 * connection meet. Not thread-safe. */
#ifndef AR_CAPTURE_SERVED_H
#define AR_CAPTURE_SERVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <agentrace/events.h>

struct served;

/* Returns NULL on -ENOMEM. */
struct served *served__new(void);
void served__free(struct served *s);

/* Notes an AR_EV_CONN_OPEN record with a tuple: a server's local end as
 * served by its process, a client's remote end under its conn_id. Any
 * other record is ignored. */
void served__record(struct served *s, const void *rec, size_t len);

/* The process that last accepted a connection on the endpoint that client
 * connection conn_id went to, or 0 when not known. */
uint32_t served__server_of(const struct served *s, uint64_t conn_id);

/* The process that accepted client connection conn_id itself (the
 * server's record of the same 4-tuple, within a second of the client's),
 * or 0 when that accept has not been seen: a host-local call whose server
 * is known for certain, not just the last acceptor on its endpoint. */
uint32_t served__acceptor_of(const struct served *s, uint64_t conn_id);

/* For a server's AR_EV_CONN_OPEN record (before or after it is noted):
 * the conn_id of the client connection on this host it is the other end
 * of, or 0 when none was seen (or rec is no such record). */
uint64_t served__client_of(const struct served *s, const void *rec, size_t len);

/* True when client connection conn_id went to a loopback address (its
 * server, if any, is on this host even when not seen yet). */
bool served__is_local(const struct served *s, uint64_t conn_id);

#endif
