// SPDX-License-Identifier: MIT
#include <agentrace/events.h>

#include "conn/role.h"
#include "conn/stream.h"
#include "proto/http_sync.h"

uint8_t conn_role__from_chunk(int dir, const uint8_t *data, size_t len)
{
	unsigned kind = 0;
	size_t pos = 1;

	if (!data || !len)
		return AR_ROLE_UNKNOWN;
	if (http_sync__find(data, len, HTTP_SYNC_EITHER, &pos, &kind) != HTTP_SYNC_FOUND || pos)
		return AR_ROLE_UNKNOWN;
	/* writing a request or reading a response: we are the client */
	if ((kind == HTTP_SYNC_REQUEST) == (dir == AR_DIR_EGRESS))
		return AR_ROLE_CLIENT;
	return AR_ROLE_SERVER;
}

void conn_role__observe(struct conn_meta *c, int dir, const uint8_t *data, size_t len)
{
	uint8_t role;

	if (c->role != AR_ROLE_UNKNOWN || c->role_tries >= ROLE_INFER_MAX_CHUNKS)
		return;
	c->role_tries++;
	role = conn_role__from_chunk(dir, data, len);
	if (role == AR_ROLE_UNKNOWN)
		return;
	c->role = role;
	c->role_src = ROLE_SRC_REQUEST_LINE;
}

const char *conn_role__name(uint8_t role)
{
	return role == AR_ROLE_CLIENT ? "client" : role == AR_ROLE_SERVER ? "server" : "unknown";
}

const char *conn_role__src_name(uint8_t src)
{
	switch (src) {
	case ROLE_SRC_SYSCALL:
		return "syscall";
	case ROLE_SRC_SOCKET:
		return "socket";
	case ROLE_SRC_REQUEST_LINE:
		return "request-line";
	default:
		return "none";
	}
}
