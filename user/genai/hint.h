/* SPDX-License-Identifier: MIT */
/* Facts about an exchange that every provider matcher uses: path, host,
 * which provider headers are present (never their values). */
#ifndef AR_GENAI_HINT_H
#define AR_GENAI_HINT_H

#include <stdint.h>

#include "genai/provider.h"

/* Fills h from x (h->req left NULL). */
void genai_hint__init(struct genai_hint *h, const struct http_exchange *x);

/* server.address / server.port for x: the Host header first, then the
 * connection's remote address. addr is "" and *port 0 when unknown. */
void genai_hint__server(const struct http_exchange *x, char *addr, size_t addr_len,
			int *port);

#endif
