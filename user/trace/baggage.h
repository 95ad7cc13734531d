/* SPDX-License-Identifier: MIT */
/*
 * W3C Baggage request header: key=value list-members with optional
 * ;properties. Values are percent-decoded. A header over the limits or
 * off the grammar is dropped whole, never half-used. A struct baggage is
 * a reusable ~20 KiB workspace: parsing allocates nothing.
 */
#ifndef AR_TRACE_BAGGAGE_H
#define AR_TRACE_BAGGAGE_H

#include <stddef.h>

#include "proto/http_types.h"

/* The spec's minimum limits, which we also use as maximums. */
#define BAGGAGE_MAX_MEMBERS 64
#define BAGGAGE_MAX_BYTES 8192

/* Outcome of a parse; stats arrays are indexed by this enum. */
enum baggage_res {
	BAGGAGE_OK = 0,
	BAGGAGE_ABSENT,          /* no baggage header: not an error */
	BAGGAGE_ERR_TOO_LONG,    /* combined value over 8192 bytes */
	BAGGAGE_ERR_TOO_MANY,    /* over 64 list-members */
	BAGGAGE_ERR_MALFORMED,   /* off the list-member grammar */
	BAGGAGE_ERR_PERCENT,     /* bad %XX, or decodes to NUL / non-UTF-8 */
	BAGGAGE__COUNT,
};

struct baggage_member {
	const char *key;   /* token, not NUL-terminated */
	size_t key_len;
	const char *value; /* percent-decoded, NUL-terminated */
	size_t value_len;
	const char *props; /* raw properties after the first ';', or NULL */
	size_t props_len;
};

/* Members point into raw and buf, so they live as long as the struct
 * and until the next parse. */
struct baggage {
	size_t n;
	struct baggage_member m[BAGGAGE_MAX_MEMBERS];
	char raw[BAGGAGE_MAX_BYTES];
	/* decoded values and their NULs: a value never grows on decoding */
	char buf[BAGGAGE_MAX_BYTES + BAGGAGE_MAX_MEMBERS];
};

/* Parses one baggage-string (surrounding SP/HTAB ignored; empty is a
 * valid empty list). Members' keys point into s. Returns BAGGAGE_OK, or
 * an error with b->n == 0. */
enum baggage_res baggage__parse(struct baggage *b, const char *s, size_t n);

/* Joins every baggage header of h[0..n) with ',' (blank ones skipped)
 * into b->raw and parses that. Returns BAGGAGE_ABSENT with b->n == 0 if
 * there is no baggage header, else as baggage__parse. */
enum baggage_res baggage__from_headers(struct baggage *b,
				       const struct header_view *h, size_t n);

/* First member whose key equals key (case-sensitive), or NULL. */
const struct baggage_member *baggage__get(const struct baggage *b,
					  const char *key);

/* Short snake_case name for counters, e.g. "too_many_members". */
const char *baggage__res_str(enum baggage_res r);

#endif
