// SPDX-License-Identifier: MIT
#include <string.h>

#include <agentrace/events.h>

#include "discover/verdict.h"

enum verdict verdict__judge(const struct llm_hosts *hosts, const void *rec, size_t len,
			    enum promote_reason *why, char *what, size_t cap)
{
	const struct ar_data_event *ev = rec;

	*why = PROMOTE_NO;
	what[0] = 0;
	/* Only bounded records (an untargeted process's) that start a
	 * direction, or a request the kernel saw start later (a POST on a
	 * keep-alive connection, AR_F_MSG_START), are judged: a
	 * target's data is never cut, so neither its heads are parsed nor its
	 * pid looked up in the kernel map on the per-record path. */
	if (len < sizeof(*ev) || ev->hdr.type != AR_EV_DATA || ev->source != AR_SRC_SOCKET ||
	    !(ev->hdr.flags & AR_F_BOUNDED) || (ev->hdr.flags & AR_F_TLS) ||
	    (ev->seq != 0 && !(ev->hdr.flags & AR_F_MSG_START)) ||
	    !ev->len ||
	    len < sizeof(*ev) + ev->len)
		return VERDICT_WAIT;
	*why = promote__judge_http(hosts, (const char *)(ev + 1), ev->len, what, cap);
	return *why == PROMOTE_NO ? VERDICT_SKIP : VERDICT_KEEP;
}

enum verdict_when verdict__when(bool local, uint32_t acceptor, bool acceptor_target)
{
	if (acceptor)
		return acceptor_target ? VERDICT_NEVER : VERDICT_NOW;
	return local ? VERDICT_HOLD : VERDICT_NOW;
}
