/* SPDX-License-Identifier: MIT */
/* Behaviour on the first calls: probes placed by evidence rather than by
 * symbols (a stripped BoringSSL or OpenSSL located by its error strings)
 * are trusted only once the calls through them behave like SSL_write and
 * SSL_read. A probe on the wrong function (same start checks, other
 * arguments) hands over some other buffer (a struct, a heap block,
 * ciphertext), returns what its length argument cannot explain, reads a
 * buffer that is not there, or takes a first argument that is not the
 * connection's. Four checks, on the records of one process that uses only
 * the probed file:
 *   - the start of a TLS stream direction is an HTTP/1 request or status
 *     line, or HTTP/2's preface or first SETTINGS frame;
 *   - no call reports more bytes than its length argument, or a
 *     successful write of nothing (AR_EV_TLS_ODD, AR_ODD_RETURN);
 *   - the buffer can be read (AR_ODD_UNREADABLE, counted in a row);
 *   - the SSL* is stable: one socket connection keeps one SSL*, and the
 *     calls do not each bring a pointer never seen before.
 * Trusted once a plausible stream start's SSL* comes back in a later call
 * and nothing odd was seen; refused at FIRST_CALLS_STRIKES failures of one
 * check. Bounded: a few small fixed arrays per file on probation. */
#ifndef AR_DISCOVER_FIRST_CALLS_H
#define AR_DISCOVER_FIRST_CALLS_H

#include <stddef.h>
#include <stdint.h>

/* Failures of one check before a file's probes are detached. Several,
 * because a stream opened before the probes were attached starts
 * mid-conversation. */
#define FIRST_CALLS_STRIKES 4
/* Calls in a row, each with an SSL* never seen before, that count as one
 * strike of the stability check (a real client's request and response
 * share their SSL*; a handful of new connections may open at once). */
#define FIRST_CALLS_NEW_PTR_RUN 8

enum first_calls_verdict {
	FIRST_CALLS_UNDECIDED = 0,
	FIRST_CALLS_TRUSTED,
	FIRST_CALLS_REFUSED,
};

struct first_calls;

/* NULL when out of memory. */
struct first_calls *first_calls__new(void);
void first_calls__free(struct first_calls *fc);

/* Judges one record (AR_EV_DATA of source TLS, or AR_EV_TLS_ODD) of a
 * process whose only probed file is the one judged; other records and
 * malformed ones are ignored. Returns the verdict so far; on
 * FIRST_CALLS_REFUSED *why (if given) names the failed check (static
 * string). Once decided, the verdict does not change. */
enum first_calls_verdict first_calls__record(struct first_calls *fc, const void *rec,
					     size_t len, const char **why);

/* Judges the first bytes of one direction of a TLS stream: 1 plausible
 * plaintext, 0 not, -1 too short to say. */
int first_calls__plausible(const uint8_t *p, size_t n);

#endif
