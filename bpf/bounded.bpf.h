/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bounded capture (issue #13): a process that is not a target still has
 * its plaintext connections opened after start copied, but each read or
 * write only up to bounded_bytes (request or status line, headers, the
 * start of a body), so that userspace can classify it. A connection whose
 * first message is a POST (LLM and MCP calls are) is copied whole until
 * userspace decides, so a request that promotes its process is not cut.
 * Userspace's verdict on an uninteresting connection stops the copying
 * altogether, until a later write on it starts a new POST (a keep-alive
 * client that asked a gateway something else first): the connection then
 * starts afresh (bounded_reopen), so userspace judges that message as a
 * first one. Needs promote.bpf.h (bounded capture is part of the
 * agent-first mode). */
#ifndef AR_BOUNDED_BPF_H
#define AR_BOUNDED_BPF_H

#include "fastpath.bpf.h"

/* Set by userspace between open and load; 0 = no bounded capture (an
 * untargeted process's data is never copied). */
const volatile __u32 bounded_bytes = 0;

#include "promote.bpf.h" /* reads bounded_bytes; its watch gates the fd cache */

/* Mark sock_args._pad of an untargeted process's call, for the exit:
 * BOUNDED_REOPEN is a write that starts a new POST on a connection being
 * cut but not yet skipped (its offsets are exact: flagged AR_F_MSG_START). */
#define BOUNDED_CALL 1u
#define BOUNDED_REOPEN 2u

/* conn_state.cut values: enum conn_cut, agentrace/conns.h. */

/* An untargeted process's first call on a socket made conn st
 * (sock_lazy_open). */
static __always_inline void bounded_opened(struct conn_state *st)
{
	if (st)
		st->cut = CUT_BOUNDED;
}

/* "POST " at user address p. */
static __always_inline bool bounded_is_post(__u64 p)
{
	char m[5];

	return p && !bpf_probe_read_user(m, sizeof(m), (void *)p) && m[0] == 'P' &&
	       m[1] == 'O' && m[2] == 'S' && m[3] == 'T' && m[4] == ' ';
}

/* A write (buf and len as the syscall got them) past the start of its
 * connection whose first bytes start a POST: one to judge, so it is
 * copied whole. Costs an untargeted writer one to three small user reads
 * per write on a cut or skipped connection, nothing on any other. */
static __always_inline bool bounded_new_post(const struct conn_state *st, __u64 buf,
					     __u64 len, __u32 call)
{
	__u64 p, n;

	if (call != SC_WRITE && call != SC_WRITEV && call != SC_SENDMSG)
		return false;
	if (!st->seq[AR_DIR_EGRESS])
		return false; /* the first write: bounded_first decides */
	return first_buffer(call, buf, len, &p, &n) && n >= 5 && bounded_is_post(p);
}

/* A skipped connection about to carry a new POST: its skipped bytes went
 * uncounted, so it is closed and opened again under a new conn_id, a
 * fresh stream whose first message userspace judges as such (and whose
 * parser does not splice it onto what came before the skip). Copied whole
 * until the next verdict. Returns 1 when reopened. A global function:
 * verified once, not inlined into every enter program. */
__attribute__((noinline)) int bounded_reopen(__u32 tgid, __s32 fd)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state *st = bpf_map_lookup_elem(&conns, &k);
	__u8 role;

	if (!st)
		return 0;
	role = st->role;
	emit_conn_event(AR_EV_CONN_CLOSE, 0, st->conn_id, tgid, fd, role, NULL, st->seq);
	st = conn_get(tgid, fd, role, true);
	if (!st)
		return 0;
	st->cut = CUT_FULL;
	stat_add(AR_STAT_BOUNDED_REOPEN, 1);
	return 1;
}

/* Caches (fastpath.bpf.h) that connection st on k copies nothing for
 * the calls kind names, unless a promotion watch may be pending on the
 * process's sockets (promote_enter must see their first call). */
static __always_inline void bounded_cache(const struct sock_key *k,
					  const struct conn_state *st, __u32 kind)
{
	struct conn_state *cur;

	if (promote_first_write && !watch_none(k->tgid) &&
	    bpf_map_lookup_elem(&promote_watch, k))
		return;
	fast_skip(k->tgid, st->sk_tag, kind);
	/* A close and a new connection on the same fd between our lookup
	 * and the store would have emptied the slot before we filled it. */
	cur = bpf_map_lookup_elem(&conns, k);
	if (!cur || cur->conn_id != st->conn_id)
		fast_unskip(k->tgid, st->sk_tag);
}

/* A data call by an untargeted process (after
 * promote_enter, which may have stashed an accepted socket's first read
 * already). Stashes the call for sock_data_exit unless its connection is
 * unknown, TLS or judged uninteresting. */
static __always_inline void bounded_enter(__u64 id, __s32 fd, __u64 buf, __u32 iovcnt,
					  __u32 call)
{
	struct sock_key k = { .tgid = id >> 32, .fd = fd };
	struct sock_args a = { .buf = buf, .fd = fd, .call = call, .iovcnt = iovcnt,
			       ._pad = BOUNDED_CALL };
	struct conn_state *st;

	if (!bounded_bytes)
		return;
	st = bpf_map_lookup_elem(&conns, &k);
	if (!st || st->cut == CUT_NONE)
		return;
	if (st->tls) {
		bounded_cache(&k, st, SKIP_ALL);
		return;
	}
	if (st->cut != CUT_SKIP && bpf_map_lookup_elem(&verdicts, &st->conn_id)) {
		st->cut = CUT_SKIP;
		bpf_map_delete_elem(&verdicts, &st->conn_id);
		stat_add(AR_STAT_VERDICT_HIT, 1);
	}
	if (st->cut == CUT_SKIP && st->role == AR_ROLE_SERVER) {
		/* a server's writes are answers: no new POST to reopen on */
		bounded_cache(&k, st, SKIP_ALL);
		return;
	}
	if (bounded_new_post(st, buf, iovcnt, call)) {
		if (st->cut != CUT_SKIP) {
			st->cut = CUT_FULL; /* its bytes counted: flag the message */
			a._pad = BOUNDED_REOPEN;
		} else if (!bounded_reopen(k.tgid, fd)) {
			return;
		}
	} else if (st->cut == CUT_SKIP) {
		bounded_cache(&k, st, SKIP_READS);
		return;
	}
	if (args_pending(id))
		return; /* an accepted socket's first read: promote_enter's */
	if (args_stash(id, &a))
		stat_add(AR_STAT_DROP_ARGS_MAP, 1);
}

/* First bytes of a connection direction: a POST keeps it whole. */
static __always_inline void bounded_first(struct conn_state *st, __u64 first, long ret)
{
	if (ret >= 5 && bounded_is_post(first))
		st->cut = CUT_FULL;
}

/* Whether the exit of a call stashed with sock_args._pad = pad copies it
 * bounded, and the record flags that says. */
static __always_inline bool bounded_call(__u32 pad)
{
	return pad == BOUNDED_CALL || pad == BOUNDED_REOPEN;
}

static __always_inline __u16 bounded_flags(__u32 pad)
{
	return pad == BOUNDED_REOPEN ? AR_F_BOUNDED | AR_F_MSG_START : AR_F_BOUNDED;
}

/* Bytes of a call of ret bytes to copy: all, or bounded_bytes. */
static __always_inline __u64 bounded_len(const struct conn_state *st, bool cut, long ret)
{
	if (!cut || st->cut == CUT_FULL || (__u64)ret <= bounded_bytes)
		return ret;
	stat_add(AR_STAT_BOUNDED_BYTES, ret - bounded_bytes);
	return bounded_bytes;
}

#endif
