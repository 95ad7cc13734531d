/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bounded capture (issue #13): a process that is not a target still has
 * its plaintext connections opened after start copied, but each read or
 * write only up to bounded_bytes (request or status line, headers, the
 * start of a body), so that userspace can classify it. A connection whose
 * first message is a POST (LLM and MCP calls are) is copied whole until
 * userspace decides, so a request that promotes its process is not cut.
 * Userspace's verdict on an uninteresting connection stops the copying
 * altogether. Needs promote.bpf.h (bounded capture is part of --promote). */
#ifndef AR_BOUNDED_BPF_H
#define AR_BOUNDED_BPF_H

#include "fastpath.bpf.h"

/* Set by userspace between open and load; 0 = no bounded capture (an
 * untargeted process's data is never copied). */
const volatile __u32 bounded_bytes = 0;

/* Marks sock_args._pad of an untargeted process's call, for the exit. */
#define BOUNDED_CALL 1u

/* conn_state.cut of an untargeted process's connection. */
enum conn_cut {
	CUT_NONE = 0,    /* a target's connection: copied whole */
	CUT_BOUNDED = 1, /* each call copied up to bounded_bytes */
	CUT_FULL = 2,    /* first message a POST: whole, until a verdict */
	CUT_SKIP = 3,    /* verdict or TLS: nothing copied */
};

/* Connections userspace found uninteresting: conn_id -> 1. Written by
 * userspace (discover/verdict.c) after the first message of an
 * untargeted process's connection; read and deleted by the syscall
 * probes, which then mark the connection CUT_SKIP; deleted at close. LRU,
 * so verdicts on connections that never speak again age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} verdicts SEC(".maps");

/* connect exit of an untargeted process made conn st. */
static __always_inline void bounded_opened(struct conn_state *st)
{
	if (st)
		st->cut = CUT_BOUNDED;
}

/* sys_enter of a data call by an untargeted process (after
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
	if (call == SC_CONNECT) {
		args_stash(id, &a);
		return;
	}
	if (call == SC_ACCEPT)
		return; /* promote_enter stashed it; see sock_open_exit */
	st = bpf_map_lookup_elem(&conns, &k);
	if (!st || st->tls || st->cut == CUT_SKIP || st->cut == CUT_NONE)
		return;
	if (bpf_map_lookup_elem(&verdicts, &st->conn_id)) {
		st->cut = CUT_SKIP;
		bpf_map_delete_elem(&verdicts, &st->conn_id);
		stat_add(AR_STAT_VERDICT_HIT, 1);
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
	char m[5];

	if (ret >= 5 && !bpf_probe_read_user(m, sizeof(m), (void *)first) && m[0] == 'P' &&
	    m[1] == 'O' && m[2] == 'S' && m[3] == 'T' && m[4] == ' ')
		st->cut = CUT_FULL;
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
