/* SPDX-License-Identifier: MIT */
/*
 * What the connection table hands to the next stage: one ordered byte
 * stream per direction of each connection (socket or SSL* stream), with
 * explicit gaps. Consumers (stream dumper, HTTP parser) implement
 * struct stream_sink.
 */
#ifndef AR_CONN_STREAM_H
#define AR_CONN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <agentrace/events.h>

/* Identity of one connection as userspace knows it. Owned by the
 * connection table; valid from on_open until on_close returns. */
struct conn_meta {
	uint64_t conn_id;      /* kernel-assigned, unique for the daemon's life */
	uint32_t tgid;
	uint32_t last_tid;     /* thread of the most recent data event */
	int32_t fd;            /* -1 for an SSL* stream with no known socket */
	uint8_t role;          /* enum ar_role */
	uint8_t role_src;      /* enum conn_role_src (conn/role.h): how role was decided */
	uint8_t role_tries;    /* chunks looked at to infer role */
	bool is_tls;           /* plaintext from SSL_read/SSL_write */
	bool has_tuple;        /* tuple is valid */
	struct ar_tuple tuple;
	uint64_t ssl_ptr;      /* TLS only */
	uint64_t sock_conn_id; /* TLS only: the underlying socket, 0 if unknown */
	uint64_t open_ts;      /* monotonic ns of first sight */
	uint64_t last_ts;      /* monotonic ns of most recent event */
	char comm[AR_COMM_LEN];
	uint64_t bytes[2];     /* bytes delivered per enum ar_dir */
	uint64_t gaps[2];      /* bytes known missing per enum ar_dir */
	void *user;            /* consumer state, owned by the sink */
};

/* Callbacks; any may be NULL. dir is enum ar_dir. ts is monotonic ns. */
struct stream_sink {
	void *ctx;
	void (*on_open)(void *ctx, struct conn_meta *c);
	/* In-order bytes. data is only valid during the call. */
	void (*on_data)(void *ctx, struct conn_meta *c, int dir,
			const uint8_t *data, size_t len, uint64_t ts, uint32_t tid);
	/* missing bytes were lost before the next on_data in dir. */
	void (*on_gap)(void *ctx, struct conn_meta *c, int dir, uint64_t missing);
	/* Connection ended (close, SSL_free, eviction or shutdown). The sink
	 * must release c->user here. */
	void (*on_close)(void *ctx, struct conn_meta *c);
};

#endif
