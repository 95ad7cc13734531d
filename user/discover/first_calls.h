/* SPDX-License-Identifier: MIT */
/* Behaviour on the first calls: probes placed by evidence rather than by
 * symbols (a stripped BoringSSL or OpenSSL located by its error strings)
 * are trusted only once what they capture looks like what SSL_write and
 * SSL_read move. A probe on the wrong function (same start checks, other
 * arguments) hands over some other buffer: a struct, a heap block,
 * ciphertext. The start of a TLS stream direction that an agent uses is an
 * HTTP/1 request or status line, or HTTP/2's preface or first SETTINGS
 * frame; random memory is not. */
#ifndef AR_DISCOVER_FIRST_CALLS_H
#define AR_DISCOVER_FIRST_CALLS_H

#include <stddef.h>
#include <stdint.h>

/* Stream starts in a row that do not look like plaintext before a file's
 * probes are detached. Several, because a stream opened before the probes
 * were attached starts mid-conversation. */
#define FIRST_CALLS_STRIKES 4

/* Judges the first bytes of one direction of a TLS stream: 1 plausible
 * plaintext, 0 not, -1 too short to say. */
int first_calls__plausible(const uint8_t *p, size_t n);

#endif
