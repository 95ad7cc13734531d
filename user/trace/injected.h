/* SPDX-License-Identifier: MIT */
/*
 * The ids bpf/inject.bpf.c put into outbound requests (AR_EV_INJECT),
 * kept until the request's context entry is made and takes them. Keyed
 * by (process, local port, remote port, request index on the
 * connection): the kernel's parser and the HTTP parser count requests
 * from the same first byte, as injection only happens on sockets
 * connected while agentrace runs.
 *
 * Bounded: a fixed ring; a record not taken before INJECTED_CAP newer
 * ones arrive is dropped and counted (its span then starts its own trace
 * while the wire carried the kernel's ids). Not thread-safe.
 */
#ifndef AR_TRACE_INJECTED_H
#define AR_TRACE_INJECTED_H

#include <stdbool.h>
#include <stdint.h>

#include <agentrace/inject.h>

#define INJECTED_CAP 1024

struct injected_stats {
	uint64_t added;    /* records seen */
	uint64_t matched;  /* taken by their request */
	uint64_t overwritten; /* dropped before any request took them */
};

struct injected;

/* Returns NULL on -ENOMEM. */
struct injected *injected__new(void);
void injected__free(struct injected *t);

void injected__add(struct injected *t, const struct ar_inject_event *ev);

/* The record of that request, removed from the table into *out; false if
 * none. */
bool injected__take(struct injected *t, uint32_t tgid, uint16_t sport, uint16_t dport,
		    uint32_t req_index, struct ar_inject_event *out);

void injected__stats(const struct injected *t, struct injected_stats *out);

#endif
