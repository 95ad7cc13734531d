// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <xxhash.h>

#include "capture/served.h"

#define SLOTS 16384 /* per table; a power of two */

/* An address and port, IPv4-mapped IPv6 folded to IPv4. */
struct endpoint {
	uint8_t addr[16];
	uint16_t port;
	uint16_t family; /* 0: empty */
};

struct server_slot {
	struct endpoint ep;
	uint32_t tgid;
};

struct conn_slot {
	uint64_t conn_id; /* 0: empty */
	struct endpoint remote;
};

struct served {
	struct server_slot servers[SLOTS]; /* by local endpoint of accepted conns */
	struct conn_slot conns[SLOTS];     /* by conn_id of connected conns */
};

static void endpoint_of(const uint8_t *addr, uint16_t port, uint16_t family,
			struct endpoint *ep)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(ep, 0, sizeof(*ep));
	ep->port = port;
	ep->family = family;
	if (family == AF_INET6 && !memcmp(addr, v4mapped, sizeof(v4mapped))) {
		ep->family = AF_INET;
		memcpy(ep->addr, addr + 12, 4);
	} else {
		memcpy(ep->addr, addr, family == AF_INET ? 4 : 16);
	}
}

static size_t endpoint_slot(const struct endpoint *ep)
{
	return XXH3_64bits(ep, sizeof(*ep)) & (SLOTS - 1);
}

struct served *served__new(void)
{
	return calloc(1, sizeof(struct served));
}

void served__free(struct served *s)
{
	free(s);
}

void served__record(struct served *s, const void *rec, size_t len)
{
	struct ar_conn_event ev;
	struct endpoint ep;

	if (!s || len < sizeof(ev))
		return;
	memcpy(&ev, rec, sizeof(ev)); /* records need not be aligned */
	if (ev.hdr.type != AR_EV_CONN_OPEN || !ev.tuple.family)
		return;
	if (ev.role == AR_ROLE_SERVER) {
		struct server_slot *sl;

		endpoint_of(ev.tuple.saddr, ev.tuple.sport, ev.tuple.family, &ep);
		sl = &s->servers[endpoint_slot(&ep)];
		sl->ep = ep;
		sl->tgid = ev.hdr.tgid;
	} else if (ev.role == AR_ROLE_CLIENT) {
		struct conn_slot *sl = &s->conns[ev.hdr.conn_id & (SLOTS - 1)];

		endpoint_of(ev.tuple.daddr, ev.tuple.dport, ev.tuple.family, &sl->remote);
		sl->conn_id = ev.hdr.conn_id;
	}
}

static const struct endpoint *remote_of(const struct served *s, uint64_t conn_id)
{
	const struct conn_slot *sl = &s->conns[conn_id & (SLOTS - 1)];

	return conn_id && sl->conn_id == conn_id ? &sl->remote : NULL;
}

uint32_t served__server_of(const struct served *s, uint64_t conn_id)
{
	const struct endpoint *ep = remote_of(s, conn_id);
	const struct server_slot *sl;

	if (!ep)
		return 0;
	sl = &s->servers[endpoint_slot(ep)];
	return memcmp(&sl->ep, ep, sizeof(*ep)) ? 0 : sl->tgid;
}

bool served__is_local(const struct served *s, uint64_t conn_id)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	const struct endpoint *ep = remote_of(s, conn_id);

	if (!ep)
		return false;
	return ep->family == AF_INET ? ep->addr[0] == 127 : !memcmp(ep->addr, v6lo, 16);
}
