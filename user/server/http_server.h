/* SPDX-License-Identifier: MIT */
/*
 * Inbound requests: an exchange the traced process served (it read the
 * request) becomes one HTTP SERVER span after the HTTP server semantic
 * conventions. It is never a gen_ai CLIENT span: across one host each
 * exchange yields the caller's CLIENT span and this SERVER span, once each.
 */
#ifndef AR_SERVER_HTTP_SERVER_H
#define AR_SERVER_HTTP_SERVER_H

#include <stdint.h>

#include "proto/http_types.h"
#include "trace/span.h"

/* Name "{method} {path}" (query never in the name), timed from the
 * request's first byte to the response's last; url.query is redacted as
 * tool spans redact it. Returns a new span, or NULL on -ENOMEM. */
struct span *http_server__span(const struct http_exchange *x, uint64_t mono_to_real_ns);

/* Copies the gen_ai.* attributes of call (a gen_ai span built from the
 * same exchange) onto the SERVER span s, so an LLM endpoint's SERVER
 * span says what it served. Returns 0 or -ENOMEM (s keeps what was
 * copied). */
int http_server__add_genai(struct span *s, const struct span *call);

#endif
