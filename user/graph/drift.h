/* SPDX-License-Identifier: MIT */
/*
 * Tool-result drift: how the result an agent passed to the model relates
 * to what the tool actually answered on the wire. Pure functions.
 */
#ifndef AR_GRAPH_DRIFT_H
#define AR_GRAPH_DRIFT_H

#include <stddef.h>

enum drift {
	DRIFT_UNCHANGED,   /* equal after normalisation (graph/norm.h) */
	DRIFT_TRUNCATED,   /* a prefix of the output (perhaps plus a short marker) */
	DRIFT_TRANSFORMED, /* anything else */
};

/*
 * Compares the tool's output out[0..on) with the result res[0..rn) the
 * agent sent on. *share gets the fraction of the output that reached the
 * model: 1 when unchanged; the kept prefix's length over the output's when
 * truncated; otherwise the fraction of the output's 8-byte shingles found
 * in the result. Returns -ENOMEM (nothing set) or the drift class.
 */
int drift__compare(const char *out, size_t on, const char *res, size_t rn, double *share);

/* One value of a hand-off payload (a leaf string of its JSON body). */
struct drift_val {
	const char *s;
	size_t n;
};

/*
 * How much of a hand-off payload reached a later input that may hold more
 * (a sub-agent's first LLM input: its instructions, the payload, other
 * messages). vals[0..n_vals) and in[0..in_len) are whitespace-normalised
 * (norm__ws). Per value: found whole (unchanged); else its longest prefix
 * found in the input, when the rest mostly is not there (truncated: the
 * prefix reached); else the share of its 8-byte shingles found
 * (transformed). *share: bytes that reached over all bytes; the class is
 * the worst over the values. Returns the class, -ENOENT for an empty
 * payload, or -ENOMEM (nothing set).
 */
int drift__reached(const struct drift_val *vals, size_t n_vals, const char *in, size_t in_len,
		   double *share);

const char *drift__name(enum drift d);

#endif
