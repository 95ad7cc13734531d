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
	struct endpoint local, remote;
};

/* Both ends of one loopback connection: the client's connect record and
 * the server's accept record, whichever comes first (on loopback the
 * accept can return before the connect does). */
struct pair_slot {
	struct endpoint client, server; /* the key */
	uint64_t client_conn;           /* 0: the connect not seen */
	uint64_t client_ts, acceptor_ts;
	uint32_t acceptor; /* 0: the accept not seen */
};

struct served {
	struct server_slot servers[SLOTS]; /* by local endpoint of accepted conns */
	struct conn_slot conns[SLOTS];     /* by conn_id of connected conns */
	struct pair_slot pairs[SLOTS];     /* by 4-tuple */
};

/* Both halves of a pair come from one connection when recorded this
 * close together: a 4-tuple is only reused after TIME_WAIT (60 s). */
#define PAIR_NS 1000000000ull

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

static struct pair_slot *pair_of(struct served *s, const struct endpoint *client,
				  const struct endpoint *server, bool claim)
{
	struct endpoint key[2] = { *client, *server };
	struct pair_slot *sl = &s->pairs[XXH3_64bits(key, sizeof(key)) & (SLOTS - 1)];

	if (!memcmp(&sl->client, client, sizeof(*client)) &&
	    !memcmp(&sl->server, server, sizeof(*server)))
		return sl;
	if (!claim)
		return NULL;
	memset(sl, 0, sizeof(*sl)); /* evicts another pair */
	sl->client = *client;
	sl->server = *server;
	return sl;
}

static bool near(uint64_t a, uint64_t b)
{
	return (a > b ? a - b : b - a) < PAIR_NS;
}

static bool paired(const struct pair_slot *sl)
{
	return sl->client_conn && sl->acceptor && near(sl->client_ts, sl->acceptor_ts);
}

/* The local and remote endpoints of a connection record. */
static void ends_of(const struct ar_conn_event *ev, struct endpoint *local,
		    struct endpoint *remote)
{
	endpoint_of(ev->tuple.saddr, ev->tuple.sport, ev->tuple.family, local);
	endpoint_of(ev->tuple.daddr, ev->tuple.dport, ev->tuple.family, remote);
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
		struct pair_slot *pr;
		struct endpoint peer;

		ends_of(&ev, &ep, &peer);
		sl = &s->servers[endpoint_slot(&ep)];
		sl->ep = ep;
		sl->tgid = ev.hdr.tgid;
		pr = pair_of(s, &peer, &ep, true);
		pr->acceptor = ev.hdr.tgid;
		pr->acceptor_ts = ev.hdr.ts_ns;
	} else if (ev.role == AR_ROLE_CLIENT) {
		struct conn_slot *sl = &s->conns[ev.hdr.conn_id & (SLOTS - 1)];
		struct pair_slot *pr;

		ends_of(&ev, &sl->local, &sl->remote);
		sl->conn_id = ev.hdr.conn_id;
		pr = pair_of(s, &sl->local, &sl->remote, true);
		pr->client_conn = ev.hdr.conn_id;
		pr->client_ts = ev.hdr.ts_ns;
	}
}

uint32_t served__acceptor_of(const struct served *s, uint64_t conn_id)
{
	const struct conn_slot *sl = &s->conns[conn_id & (SLOTS - 1)];
	const struct pair_slot *pr;

	if (!conn_id || sl->conn_id != conn_id)
		return 0;
	pr = pair_of((struct served *)s, &sl->local, &sl->remote, false);
	return pr && pr->client_conn == conn_id && paired(pr) ? pr->acceptor : 0;
}

uint64_t served__client_of(const struct served *s, const void *rec, size_t len)
{
	struct ar_conn_event ev;
	struct endpoint local, peer;
	const struct pair_slot *pr;

	if (!s || len < sizeof(ev))
		return 0;
	memcpy(&ev, rec, sizeof(ev));
	if (ev.hdr.type != AR_EV_CONN_OPEN || ev.role != AR_ROLE_SERVER || !ev.tuple.family)
		return 0;
	ends_of(&ev, &local, &peer);
	pr = pair_of((struct served *)s, &peer, &local, false);
	return pr && pr->client_conn && near(pr->client_ts, ev.hdr.ts_ns) ? pr->client_conn : 0;
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
