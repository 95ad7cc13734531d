/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The untargeted fast path (issue #13): "its syscalls cost one early-exit
 * check". Two direct-mapped caches in .bss, read with one load and no
 * helper call (a hash lookup, or even task local storage, costs a helper
 * call and 40-50 ns a run on this VM; docs/performance.md):
 *
 *   untargeted[tgid % N] = gen << 32 | tgid: tgid was found untargeted
 *     while targets_gen was gen. An untargeted process's entry probes
 *     return after this one compare instead of a lookup in targets.
 *   unstashed[tid % N] = tid << 1: thread tid's entry probe left nothing
 *     in active_sock_args (tid << 1 | 1: it may have). An exit probe whose
 *     entry stashed nothing returns after this one compare instead of a
 *     lookup in active_sock_args.
 *
 * A slot another task overwrote only sends this task down the slow path
 * (the map lookups), which rewrites it. Each slot is written with one
 * 8-byte store, so a reader never sees half of two writes.
 *
 * Why this is exact: only thread tid writes tid << 1 (its own exit, after
 * taking its arguments), so an entry's stash cannot be hidden; and every
 * insertion into targets is followed by a bump of targets_gen (targets_put
 * here, targets_changed in user/capture/probes.c), while a cache fill
 * reads targets_gen before its lookup, so an insertion after the lookup
 * leaves the fill stale. A fork's child is inserted before it first runs:
 * fast_forget drops a stale mark of its (reused) pid instead. Removals need
 * no bump: only "untargeted" is cached. */
#ifndef AR_FASTPATH_BPF_H
#define AR_FASTPATH_BPF_H

#include "maps.bpf.h" /* targets, active_sock_args */

#define FAST_SLOTS 32768 /* a power of two: 256 KiB per cache */

/* Bumped after every insertion into targets, by BPF (targets_put) and by
 * userspace through the mmapped .bss (user/capture/probes.c). */
__u32 targets_gen = 0;
/* Writers and readers: this file only (see the top). */
__u64 untargeted[FAST_SLOTS] = {};
__u64 unstashed[FAST_SLOTS] = {};

/* tgid is a target. After the first miss, an untargeted process costs
 * one load and compare; else is_target's hash lookup. */
static __always_inline bool is_target_fast(__u32 tgid)
{
	__u64 *slot = &untargeted[tgid & (FAST_SLOTS - 1)];
	__u64 gen = *(volatile __u32 *)&targets_gen; /* before the lookup */
	__u64 mark = gen << 32 | tgid;
	bool hit;

	if (targ_all || tgid == self_tgid)
		return is_target(tgid);
	if (*(volatile __u64 *)slot == mark)
		return false;
	hit = is_target(tgid);
	if (!hit)
		*(volatile __u64 *)slot = mark;
	return hit;
}

/* Inserts tgid into targets and makes every cached "untargeted" stale. */
static __always_inline long targets_put(__u32 tgid, __u8 v, __u64 flags)
{
	long err = bpf_map_update_elem(&targets, &tgid, &v, flags);

	__sync_fetch_and_add(&targets_gen, 1);
	return err;
}

/* Drops a cached "untargeted" of tgid (a new process inserted into
 * targets without a bump: a fork, before the child has run). */
static __always_inline void fast_forget(__u32 tgid)
{
	__u64 *slot = &untargeted[tgid & (FAST_SLOTS - 1)];

	if ((__u32)*(volatile __u64 *)slot == tgid)
		*(volatile __u64 *)slot = 0;
}

/* Stashes a syscall's arguments for its exit probe (active_sock_args);
 * returns 0 or the map update's -errno. */
static __always_inline long args_stash(__u64 id, const struct sock_args *a)
{
	__u32 tid = (__u32)id;

	*(volatile __u64 *)&unstashed[tid & (FAST_SLOTS - 1)] = (__u64)tid << 1 | 1;
	return bpf_map_update_elem(&active_sock_args, &id, a, BPF_ANY);
}

/* The current thread's entry probe stashed arguments not yet taken. */
static __always_inline bool args_pending(__u64 id)
{
	__u32 tid = (__u32)id;

	if (*(volatile __u64 *)&unstashed[tid & (FAST_SLOTS - 1)] == (__u64)tid << 1)
		return false;
	return bpf_map_lookup_elem(&active_sock_args, &id) != NULL;
}

/* Takes (copies and deletes) the arguments the entry probe stashed; false
 * when there are none, after one compare when the entry stashed nothing. */
static __always_inline bool args_take(__u64 id, struct sock_args *a)
{
	__u32 tid = (__u32)id;
	__u64 *slot = &unstashed[tid & (FAST_SLOTS - 1)];
	struct sock_args *ap;

	if (*(volatile __u64 *)slot == (__u64)tid << 1)
		return false;
	ap = bpf_map_lookup_elem(&active_sock_args, &id);
	if (ap) {
		*a = *ap;
		bpf_map_delete_elem(&active_sock_args, &id);
	}
	*(volatile __u64 *)slot = (__u64)tid << 1;
	return ap != NULL;
}

/* The socket cache: skipped[sock_slot(tgid, tag)] = tgid << 32 | tag
 * without its low 2 bits | kind (0 empty, kind never 0), tag being the
 * socket's sk_tag (sk_mark.bpf.h): that socket of untargeted process tgid
 * carries nothing bounded capture copies, so bounded_enter would return
 * without stashing. An untargeted process's data call on it then costs
 * is_target_fast's compare and this one, made before the call's registers
 * are read (sock_data), instead of the watch count, a conns lookup and
 * (writes) a user read for "POST ".
 *   SKIP_ALL   TLS ciphertext, or an accepted connection with a skip
 *              verdict: reads and writes.
 *   SKIP_READS a connected one with a skip verdict: reads, and write()s
 *              that start no new POST (stash_sock_args reads 5 bytes);
 *              a new POST reopens it (bounded_reopen).
 * Filled by bounded_enter when its slow path reaches such a state and no
 * socket of the process has a promotion watch (promote.bpf.h). Keyed by
 * the socket, not the fd: a fd reused for another socket cannot match,
 * whether or not its old socket's close was seen in this process (the
 * socket layer's close comes once the last fd of it goes,
 * sock_state.bpf.h). Emptied (fast_unskip) when the socket's state in
 * conns changes: a conns entry made for it (conn_get: lazy open, reopen,
 * promotion by a read), its connection's end; and a colliding fill just
 * evicts it. A cached state only changes with a new conns entry for the
 * same socket, so the cache never decides otherwise than the maps would.
 * Only consulted after is_target_fast said "untargeted", so promotion
 * needs no bump. Writers and readers: this file. */
#define SKIP_ALL 1u
#define SKIP_READS 2u

__u64 skipped[FAST_SLOTS] = {};

static __always_inline __u64 *sock_slot(__u32 tgid, __u32 tag)
{
	return &skipped[(tgid * 0x9e3779b1u ^ tag) & (FAST_SLOTS - 1)];
}

static __always_inline __u64 sock_mark(__u32 tgid, __u32 tag, __u32 kind)
{
	return (__u64)tgid << 32 | (tag & ~3u) | kind;
}

/* The kind cached for tgid's socket of tag, or 0: one load and compare. */
static __always_inline __u32 sock_kind(__u32 tgid, __u32 tag)
{
	__u64 v = *(volatile __u64 *)sock_slot(tgid, tag);

	if (v >> 2 != sock_mark(tgid, tag, 0) >> 2)
		return 0;
	return v & 3;
}

/* A data call (SC_READ .. SC_SENDMSG) of untargeted tgid on the socket of
 * tag needs no further look. */
static __always_inline bool fast_skipped(__u32 tgid, __u32 tag, bool write)
{
	__u32 kind = sock_kind(tgid, tag);

	return kind == SKIP_ALL || (!write && kind == SKIP_READS);
}

static __always_inline void fast_skip(__u32 tgid, __u32 tag, __u32 kind)
{
	*(volatile __u64 *)sock_slot(tgid, tag) = sock_mark(tgid, tag, kind);
}

/* tgid's socket of tag is to be looked at again. */
static __always_inline void fast_unskip(__u32 tgid, __u32 tag)
{
	__u64 *slot = sock_slot(tgid, tag);

	if (*(volatile __u64 *)slot >> 2 == sock_mark(tgid, tag, 0) >> 2)
		*(volatile __u64 *)slot = 0;
}

/* The settled-TLS cache: tls_done[tag % N] = tgid << 32 | tag: target
 * tgid's TLS socket of that tag (sk_tag) has the SSL* whose calls read
 * and write it linked to it (sock.bpf.h, tls_fd_settle). Nothing of its
 * reads and writes is needed any more (the plaintext comes from the SSL
 * probes, the close from the socket layer), so the data programs return
 * before reading the call's registers. Keyed by the socket, so a fd
 * reused for another one cannot match. Emptied when its SSL* ends
 * (tls.bpf.h, ssl_end: a next SSL* on it must be linked again) and when
 * its connection ends (conn_end). Writers and readers: tls_fd_settle,
 * sock_data_enter, ssl_end, conn_end. */
__u64 tls_done[FAST_SLOTS] = {};

static __always_inline __u64 *tls_slot(__u32 tag)
{
	return &tls_done[tag & (FAST_SLOTS - 1)];
}

/* Target tgid's socket of tag is a settled TLS socket: one load. */
static __always_inline bool fast_tls_settled(__u32 tgid, __u32 tag)
{
	return *(volatile __u64 *)tls_slot(tag) == ((__u64)tgid << 32 | tag);
}

static __always_inline void fast_tls_settle(__u32 tgid, __u32 tag)
{
	*(volatile __u64 *)tls_slot(tag) = (__u64)tgid << 32 | tag;
}

static __always_inline void fast_tls_unsettle(__u32 tgid, __u32 tag)
{
	if (fast_tls_settled(tgid, tag))
		*(volatile __u64 *)tls_slot(tag) = 0;
}

#endif
