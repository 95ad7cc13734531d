/* SPDX-License-Identifier: MIT */
/*
 * MCP over the Streamable HTTP transport: one POST carries a JSON-RPC 2.0
 * request, notification or batch; the answer is application/json, or a
 * text/event-stream whose events carry JSON-RPC messages and end with the
 * response that has the request's id (notifications get 202 and no body).
 * Both transport revisions: session-based (Mcp-Session-Id from the
 * initialize response) and the sessionless one whose requests mirror the
 * method and name in Mcp-Method / Mcp-Name headers.
 */
#ifndef AR_TOOLS_MCP_H
#define AR_TOOLS_MCP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "tools/internal.h"

/* What the request says. Strings are owned; json values are references. */
struct mcp_req {
	json_t *body;          /* parsed request body (object or batch), or NULL */
	json_t *primary;       /* the message the span describes, borrowed from body */
	json_t *ids;           /* ids of the requests in the POST, an array of at
				* most MCP_MAX_IDS (the rest are not matched) */
	json_t *id;            /* primary's id, borrowed; NULL for a notification */
	char *method;          /* Mcp-Method header, else the body's method */
	char *name;            /* Mcp-Name header (decoded), else params.name/uri */
	size_t batch;          /* messages in a batch POST; 0 for one message */
	size_t ids_dropped;    /* request ids over MCP_MAX_IDS */
};

/* Request ids kept per exchange: a bound on memory and matching work. */
#define MCP_MAX_IDS 4096
/* Bytes of an id key, NUL included; longer string ids are not keyed. */
#define MCP_ID_KEY_MAX 272

/* Writes a key naming id ("s" + string, or "n" + number) into key.
 * Returns false for ids that are neither, or do not fit. */
bool mcp__id_key(const json_t *id, char *key, size_t size);

/* Recognises an MCP call: a POST whose body is JSON-RPC 2.0 with an MCP
 * method (or batch of them), or that carries an Mcp-Method header.
 * Returns 1 and fills r, 0 when x is not MCP (r empty), or -ENOMEM.
 * json_errors counts a body that claims JSON-RPC but does not parse. */
int mcp_req__parse(struct mcp_req *r, const struct http_exchange *x, uint64_t *json_errors);
void mcp_req__release(struct mcp_req *r);

/* Reads an MCP answer body, whole or in arbitrary pieces. */
struct mcp_reader;

struct mcp_answer {
	const json_t *resp;     /* the response with the primary id, else NULL */
	const json_t *error;    /* first error response for our ids (or id null) */
	size_t messages;        /* JSON-RPC messages read */
	size_t answered;        /* responses matching one of our ids */
	uint64_t json_errors;   /* messages that did not parse */
	uint64_t sse_errors;    /* dropped or unterminated SSE lines/events */
	bool sse;
};

/* ids/primary_id are the request's (kept referenced). sse picks the event
 * stream reader. Returns NULL on -ENOMEM. */
struct mcp_reader *mcp_reader__new(const json_t *ids, const json_t *primary_id, bool sse);
/* Returns 0 or -ENOMEM (the answer is then incomplete). */
int mcp_reader__feed(struct mcp_reader *rd, const char *buf, size_t n);
/* End of body: parses a JSON body, flushes the event stream. */
void mcp_reader__finish(struct mcp_reader *rd);
/* A whole body at once: feed and finish, without copying a JSON body.
 * Returns 0 or -ENOMEM. */
int mcp_reader__whole(struct mcp_reader *rd, const char *buf, size_t n);
const struct mcp_answer *mcp_reader__answer(const struct mcp_reader *rd);
void mcp_reader__free(struct mcp_reader *rd);

/* true when x's answer is an event stream. */
bool mcp__answer_is_sse(const struct http_exchange *x);

/* The MCP span from a parsed request and a finished reader. NULL on
 * -ENOMEM. */
struct span *mcp__span(struct tools *t, const struct http_exchange *x, const struct mcp_req *r,
		       const struct mcp_reader *rd, uint64_t mono_to_real_ns);

/* Decodes an Mcp-Name value: plain ASCII as is, "=?base64?...?=" decoded.
 * Returns a new string, or NULL when malformed or on -ENOMEM. */
char *mcp__header_value(const char *v, size_t n);

#endif
