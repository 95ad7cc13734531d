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

const char *drift__name(enum drift d);

#endif
