/* SPDX-License-Identifier: MIT */
/*
 * W3C Trace Context request headers: traceparent and tracestate.
 * Parsing is strict to the spec so a bad header restarts the trace
 * instead of joining a wrong one; each rejection has its own reason so
 * it can be counted. No allocation, no state.
 */
#ifndef AR_TRACE_TRACEPARENT_H
#define AR_TRACE_TRACEPARENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/http_types.h"

/* Length of a version-00 traceparent and the tracestate caps. */
#define TRACEPARENT_LEN 55
#define TRACESTATE_MAX_MEMBERS 32
#define TRACESTATE_MAX_LEN 512

/* Outcome of traceparent parsing. Values after TRACEPARENT_ABSENT are
 * invalid headers; stats arrays are indexed by this enum. */
enum traceparent_res {
	TRACEPARENT_OK = 0,
	TRACEPARENT_ABSENT,        /* no traceparent header: not an error */
	TRACEPARENT_ERR_VERSION,   /* version is not 2 lowercase hex + '-' */
	TRACEPARENT_ERR_VERSION_FF, /* version ff is forbidden */
	TRACEPARENT_ERR_LENGTH,    /* a field is too short or too long */
	TRACEPARENT_ERR_SEPARATOR, /* something other than '-' between fields */
	TRACEPARENT_ERR_UPPERCASE, /* hex digit A-F: the spec wants lowercase */
	TRACEPARENT_ERR_NOT_HEX,   /* a field holds a non-hex character */
	TRACEPARENT_ERR_ZERO_TRACE_ID,
	TRACEPARENT_ERR_ZERO_PARENT_ID,
	TRACEPARENT_ERR_EXTRA_DATA, /* version 00 with data after the flags */
	TRACEPARENT_ERR_DUPLICATE, /* more than one traceparent header */
	TRACEPARENT__COUNT,
};

struct traceparent {
	uint8_t version;
	uint8_t trace_id[16];
	uint8_t parent_id[8];
	uint8_t flags; /* as sent; callers mask the bits they understand */
};

/* Outcome of tracestate validation; stats arrays are indexed by it. */
enum tracestate_res {
	TRACESTATE_OK = 0,
	TRACESTATE_ERR_TOO_LONG,   /* combined value over 512 bytes */
	TRACESTATE_ERR_TOO_MANY,   /* more than 32 list-members */
	TRACESTATE_ERR_KEY,        /* key breaks the key grammar */
	TRACESTATE_ERR_VALUE,      /* value empty, too long or bad chars */
	TRACESTATE_ERR_DUP_KEY,    /* two list-members with one key */
	TRACESTATE__COUNT,
};

/* Parses one traceparent value (surrounding SP/HTAB ignored). Returns
 * TRACEPARENT_OK with *out filled, or the first reason the value is
 * invalid (*out then undefined). Never returns ABSENT or DUPLICATE. */
enum traceparent_res traceparent__parse(const char *v, size_t n,
					struct traceparent *out);

/* Finds the traceparent header(s) in h[0..n) by case-insensitive name:
 * ABSENT if none, DUPLICATE if more than one, else traceparent__parse. */
enum traceparent_res traceparent__from_headers(const struct header_view *h,
					       size_t n, struct traceparent *out);

/* Validates a combined tracestate value: list-members separated by ','
 * with OWS, empty members allowed, keys unique. */
enum tracestate_res tracestate__validate(const char *v, size_t n);

/* Short snake_case names for counters, e.g. "zero_trace_id". */
const char *traceparent__res_str(enum traceparent_res r);
const char *tracestate__res_str(enum tracestate_res r);

#endif
