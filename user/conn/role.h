/* SPDX-License-Identifier: MIT */
/*
 * Which side of a connection the traced process is: client (it connected
 * and writes requests) or server (it accepted and reads them), and how we
 * know. The kernel says so for sockets it saw connect()/accept(); a TLS
 * stream takes its socket's role; a connection first seen mid-stream is
 * inferred from the first chunk that starts with an HTTP start line.
 */
#ifndef AR_CONN_ROLE_H
#define AR_CONN_ROLE_H

#include <stddef.h>
#include <stdint.h>

struct conn_meta;

/* How conn_meta.role was decided. */
enum conn_role_src {
	ROLE_SRC_NONE = 0,     /* not known (yet) */
	ROLE_SRC_SYSCALL,      /* connect() or accept() seen by the kernel */
	ROLE_SRC_SOCKET,       /* a TLS stream: the role of its socket */
	ROLE_SRC_REQUEST_LINE, /* inferred: which side wrote a request line */
};

/* Chunks of a mid-stream connection looked at before giving up. */
#define ROLE_INFER_MAX_CHUNKS 64

/* The role implied by one chunk of direction dir (enum ar_dir) that
 * begins exactly at data[0]: a request line written means client, read
 * means server; a status line the other way round. AR_ROLE_UNKNOWN when
 * the chunk does not start with a complete start line. Pure. */
uint8_t conn_role__from_chunk(int dir, const uint8_t *data, size_t len);

/* Infers c->role from a delivered chunk while it is unknown, at most
 * ROLE_INFER_MAX_CHUNKS times per connection. Sets role_src on success. */
void conn_role__observe(struct conn_meta *c, int dir, const uint8_t *data, size_t len);

const char *conn_role__name(uint8_t role);
const char *conn_role__src_name(uint8_t src);

#endif
