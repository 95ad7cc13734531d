/* SPDX-License-Identifier: MIT */
/* The server name (SNI, RFC 6066) of a TLS ClientHello, read from the
 * first bytes a client wrote on its socket. Pure and bounded: reads only
 * buf[0..len). */
#ifndef AR_DISCOVER_SNI_H
#define AR_DISCOVER_SNI_H

#include <stddef.h>
#include <stdint.h>

/* Copies the host name into host (NUL-terminated, at most cap-1 bytes).
 * Returns 0; -ENOENT when the ClientHello has no server_name; -EAGAIN when
 * buf ends before the extension; -EINVAL when buf is not a ClientHello or
 * the name does not fit or holds a byte no host name has. */
int sni__parse(const uint8_t *buf, size_t len, char *host, size_t cap);

#endif
