// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "conn/stream.h"
#include "trace/semconv.h"
#include "trace/span_exchange.h"

struct span *span__from_exchange(const struct http_exchange *x, const char *name,
				 enum span_kind kind, uint64_t mono_to_real_ns)
{
	const struct http_message *rq = &x->req, *rs = &x->resp;
	struct span *s = span__new(name, kind);

	if (!s)
		return NULL;
	s->start_ns = rq->ts_first + mono_to_real_ns;
	s->end_ns = (rs->ts_last ? rs->ts_last : rq->ts_last) + mono_to_real_ns;
	if (s->end_ns < s->start_ns)
		s->end_ns = s->start_ns;
	s->tid = rq->tid;
	if (x->conn) {
		s->conn_id = x->conn->conn_id;
		s->proc.pid = x->conn->tgid;
	}
	return s;
}

int span__mark_evicted(struct span *s, const struct http_exchange *x)
{
	if (!x->req.body_evicted && !x->resp.body_evicted)
		return 0;
	s->status = SPAN_STATUS_ERROR;
	if (!s->status_message &&
	    !(s->status_message = strdup("incomplete: body evicted for the buffer budget")))
		return -ENOMEM;
	return span__set_str(s, TS_INCOMPLETE, TS_INCOMPLETE_BUDGET) ? -ENOMEM : 0;
}
