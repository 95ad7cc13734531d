/* SPDX-License-Identifier: MIT */
/* A span shaped by one HTTP exchange: its times, thread, connection and
 * process. Shared by every stage that turns exchanges into spans. */
#ifndef AR_TRACE_SPAN_EXCHANGE_H
#define AR_TRACE_SPAN_EXCHANGE_H

#include <stdint.h>

#include "proto/http_types.h"
#include "trace/span.h"

/* A new span named name: start at the request's first byte, end at the
 * response's last (the request's when there is none), times converted to
 * unix ns with mono_to_real_ns; tid, conn_id and proc.pid from x. NULL on
 * -ENOMEM. */
struct span *span__from_exchange(const struct http_exchange *x, const char *name,
				 enum span_kind kind, uint64_t mono_to_real_ns);

/* When x's request or response body was evicted for the daemon's buffer
 * budget (proto/body_buf.h), marks s incomplete: agentrace.incomplete =
 * buffer_budget and status ERROR with a message (what the call did is
 * unknown, so it must not look like a clean success). Returns 0 or
 * -ENOMEM. */
int span__mark_evicted(struct span *s, const struct http_exchange *x);

#endif
