/* SPDX-License-Identifier: MIT */
/* The processes whose exchanges make spans under bounded capture: those
 * the kernel copied as targets (a data record without AR_F_BOUNDED), that
 * were promoted (an AR_EV_TARGET record, also in capture files), or that
 * are targets when asked; and, per connection, a process that is none
 * but calls one (capture/served.h). Remembered past the kernel's targets entry,
 * which goes at exit or with an exec that no longer matches, because a
 * process's last exchange is often judged after it exited. Direct-mapped
 * by pid: fixed memory (256 KiB); a colliding pid evicts the older one,
 * which then counts on the kernel map alone. Not thread-safe. */
#ifndef AR_CAPTURE_TARGET_SET_H
#define AR_CAPTURE_TARGET_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probes;
struct target_set;

/* p NULL (analyze): targets are known from records only. Returns NULL
 * on -ENOMEM. */
struct target_set *target_set__new(struct probes *p);
void target_set__free(struct target_set *ts);

/* Notes the target of an AR_EV_DATA record copied as a target's or of an
 * AR_EV_TARGET record, and the endpoints of connection records. */
void target_set__record(struct target_set *ts, const void *rec, size_t len);

/* True when tgid was or is a target. */
bool target_set__has(struct target_set *ts, uint32_t tgid);

/* True when client connection conn_id went to an endpoint a target serves
 * on this host. */
bool target_set__calls_target(struct target_set *ts, uint64_t conn_id);

/* True when client connection conn_id went to a loopback address. */
bool target_set__calls_local(struct target_set *ts, uint64_t conn_id);

/* The process that accepted client connection conn_id, or 0 when not
 * seen (capture/served.h). */
uint32_t target_set__acceptor_of(struct target_set *ts, uint64_t conn_id);

/* For a server's connection record: the client connection on this host
 * it pairs with, or 0. */
uint64_t target_set__client_of(struct target_set *ts, const void *rec, size_t len);

#endif
