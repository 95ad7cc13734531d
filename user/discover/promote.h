/* SPDX-License-Identifier: MIT */
/* Promotion (--promote): judges the head of the first write on a
 * connection of a process that is not a target (AR_EV_FIRST_WRITE,
 * bpf/promote.bpf.h). The process becomes a full target when that head is
 * a TLS ClientHello whose SNI is an LLM host (llm_hosts.h), or a plaintext
 * HTTP request for an LLM API path, to an LLM host, or carrying MCP
 * JSON-RPC. Pure: the caller does the promoting. */
#ifndef AR_DISCOVER_PROMOTE_H
#define AR_DISCOVER_PROMOTE_H

#include <stddef.h>
#include <stdint.h>

#include <agentrace/events.h>

#include "discover/llm_hosts.h"

enum promote_reason {
	PROMOTE_NO = 0,
	PROMOTE_SNI,        /* ClientHello names an LLM host */
	PROMOTE_HTTP_PATH,  /* plaintext request to an LLM API path */
	PROMOTE_HTTP_HOST,  /* plaintext request to an LLM host */
	PROMOTE_MCP,        /* plaintext JSON-RPC (MCP over streamable HTTP) */
};

struct promote_stats {
	uint64_t seen;        /* first writes judged */
	uint64_t tls;         /* of which ClientHellos */
	uint64_t tls_no_sni;  /* ClientHellos without a usable server name */
	uint64_t promoted[PROMOTE_MCP + 1]; /* by reason; [0]: not promoted */
	uint64_t malformed;   /* records too short */
	uint64_t on_time;     /* promoted by SNI: first TLS plaintext was its request */
	uint64_t late;        /* ...was a response: the first SSL_write ran unprobed */
	uint64_t unseen;      /* ...exited before any TLS plaintext was seen */
	uint64_t probed;      /* promoted by SNI and probed: */
	uint64_t probe_ns_sum; /* ...ClientHello to probes attached */
	uint64_t probe_ns_max;
};

/* Processes promoted by SNI whose first TLS plaintext is awaited, to tell
 * whether their probes beat the first SSL_write. Bounded: the oldest is
 * forgotten (and counted nowhere) when full. */
#define PROMOTE_PENDING_MAX 64
struct promote_pending {
	uint32_t pid[PROMOTE_PENDING_MAX];
	unsigned next;
};

/* Judges one AR_EV_FIRST_WRITE record; names what matched in what (host
 * or path, NUL-terminated, may be cut). Counts into st. */
enum promote_reason promote__judge(const struct llm_hosts *hosts, const void *rec, size_t len,
				   char *what, size_t cap, struct promote_stats *st);

/* Judges a plaintext request head, "METHOD target HTTP/1.x\r\n", headers
 * and maybe the start of the body (n bytes at p, not NUL-terminated). */
enum promote_reason promote__judge_http(const struct llm_hosts *hosts, const char *p, size_t n,
				       char *what, size_t cap);

const char *promote__reason_name(enum promote_reason r);

/* Awaits pid's first TLS plaintext record. */
void promote__await(struct promote_pending *p, uint32_t pid);

/* For an AR_EV_DATA record: when it is the first TLS plaintext of an
 * awaited process, counts it on time (egress: the request) or late
 * (ingress: the request was written before the probes) and returns 1 or
 * -1; otherwise 0. */
int promote__first_tls(struct promote_pending *p, const void *rec, size_t len,
		       struct promote_stats *st);

/* pid exited: if its first TLS plaintext was still awaited, counts it
 * unseen (its calls all ran before the probes, or it made none) and
 * returns 1; otherwise 0. */
int promote__exit(struct promote_pending *p, uint32_t pid, struct promote_stats *st);

#endif
