// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drives the untargeted fast path (bpf/fastpath.bpf.h, bpf/promote.bpf.h's
 * watch count) through its invariants, in the kernel, as the calling
 * task: a cached "untargeted" really short-circuits the targets lookup,
 * and every way a process joins targets (targets_put, a userspace bump of
 * targets_gen, fast_forget at fork) ends it; an exit finds its own entry's
 * stash even when another thread overwrote the slot, and finds nothing
 * after one compare when there was none. Userspace runs it with
 * BPF_PROG_TEST_RUN and reads step: 0 when every check passed, else the
 * number of the first that failed. phase 1 expects userspace to have
 * inserted the task's tgid and bumped targets_gen since phase 0. Also
 * the fd cache (skipped[]) against the conns states it stands for, and
 * a target's settled TLS socket (tls_done). */
#include "sock.bpf.h"
#include "tls.bpf.h" /* ssl_end */

char LICENSE[] SEC("license") = "Dual BSD/GPL"; /* conn_get's task helper */

int step = -1;
int phase = 0;

static __always_inline int slot_of(__u32 id)
{
	return id & (FAST_SLOTS - 1);
}

static __always_inline int check_targets(__u32 tgid)
{
	__u8 one = 1;

	if (is_target_fast(tgid))
		return 1; /* an empty targets map, yet a target */
	if (untargeted[slot_of(tgid)] != ((__u64)targets_gen << 32 | tgid))
		return 2; /* the miss was not cached */
	bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY);
	if (is_target_fast(tgid))
		return 3; /* the cache did not short-circuit the lookup */
	bpf_map_delete_elem(&targets, &tgid);
	targets_put(tgid, one, BPF_ANY);
	if (!is_target_fast(tgid))
		return 4; /* targets_put's bump did not end the cached miss */
	bpf_map_delete_elem(&targets, &tgid);
	if (is_target_fast(tgid))
		return 5; /* a removed target still a target */
	bpf_map_update_elem(&targets, &tgid, &one, BPF_NOEXIST); /* as fork does */
	fast_forget(tgid);
	if (!is_target_fast(tgid))
		return 6; /* fast_forget did not drop the mark */
	bpf_map_delete_elem(&targets, &tgid);
	return is_target_fast(tgid) ? 7 : 0; /* leaves the miss cached for phase 1 */
}

static __always_inline int check_args(__u64 id)
{
	__u32 tid = (__u32)id, other = tid ^ FAST_SLOTS; /* same slot */
	struct sock_args a = { .fd = 42, .call = SC_WRITE }, got = {};

	if (args_take(id, &got) || args_take(id, &got))
		return 10; /* nothing stashed, yet arguments */
	if (unstashed[slot_of(tid)] != (__u64)tid << 1)
		return 11; /* the empty take did not mark the slot */
	if (args_stash(id, &a) || !args_pending(id))
		return 12;
	unstashed[slot_of(tid)] = (__u64)other << 1; /* the other thread's exit */
	if (!args_take(id, &got) || got.fd != 42)
		return 13; /* our stash hidden by another thread's mark */
	if (args_pending(id) || args_take(id, &got))
		return 14; /* taken twice */
	unstashed[slot_of(tid)] = (__u64)other << 1 | 1; /* the other one stashes */
	if (args_take(id, &got))
		return 15; /* its stash taken as ours */
	return 0;
}

static __always_inline int check_watch(__u32 tgid)
{
	struct sock_key k = { .tgid = tgid, .fd = 7 }, k2 = { .tgid = tgid, .fd = 8 };

	if (!watch_none(tgid))
		return 20;
	watch_put(&k, WATCH_CONNECTED);
	watch_put(&k, WATCH_ACCEPTED); /* a reused fd: counted once */
	watch_put(&k2, WATCH_CONNECTED);
	watch_del(&k);
	if (watch_none(tgid))
		return 21; /* k2 still watched */
	watch_del(&k);
	watch_del(&k2);
	return watch_none(tgid) ? 0 : 22;
}

int sockfd = -1; /* set by userspace: an unconnected TCP socket of this task */
__u64 get_buf = 0, post_buf = 0; /* userspace: "GET /..." and "POST /..." */

/* A synthetic socket tag per fd of 100 and up (fds that name no socket);
 * the task's real socket, sockfd, gets 0, as a call with no socket seen
 * (stash_write) computes. */
#define TAG(fd) ((__u32)(fd) << 2 | 1)

static __attribute__((noinline)) int conn_put(__u32 tgid, __s32 fd, __u8 role, __u8 cut, __u8 tls)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state st = { .conn_id = 1000 + fd, .role = role, .cut = cut, .tls = tls,
				 .sk_tag = fd >= 100 ? TAG(fd) : 0 };

	return bpf_map_update_elem(&conns, &k, &st, BPF_ANY);
}

/* The socket tag of the conns entry on fd, or 0. */
static __attribute__((noinline)) __u32 tag_of(__u32 tgid, __s32 fd)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state *st = bpf_map_lookup_elem(&conns, &k);

	return st ? st->sk_tag : 0;
}

/* The socket cache (skipped[]): what bounded_enter fills for which state,
 * every way a socket's state may change empties it, and a mark matches
 * only its own process and socket. */
static __always_inline int check_fdcache(__u64 id)
{
	__u32 tgid = id >> 32;
	struct sock_key w = { .tgid = tgid, .fd = 103 };

	if (conn_put(tgid, 100, AR_ROLE_SERVER, CUT_SKIP, 0) ||
	    conn_put(tgid, 101, AR_ROLE_CLIENT, CUT_SKIP, 0) ||
	    conn_put(tgid, 102, AR_ROLE_CLIENT, CUT_BOUNDED, 1) ||
	    conn_put(tgid, 103, AR_ROLE_SERVER, CUT_SKIP, 0) ||
	    conn_put(tgid, 104, AR_ROLE_SERVER, CUT_BOUNDED, 0))
		return 40;
	if (fast_skipped(tgid, TAG(100), false) || fast_skipped(tgid, TAG(100), true))
		return 41; /* cached before any call */
	bounded_enter(id, 100, 0, 0, SC_READ);
	if (!fast_skipped(tgid, TAG(100), false) || !fast_skipped(tgid, TAG(100), true))
		return 42; /* a skipped accepted connection not cached */
	bounded_enter(id, 101, 0, 0, SC_READ);
	if (!fast_skipped(tgid, TAG(101), false))
		return 43; /* a skipped connected one's reads not cached */
	if (fast_skipped(tgid, TAG(101), true))
		return 44; /* its writes must still look for a new POST */
	bounded_enter(id, 102, 0, 0, SC_WRITE);
	if (!fast_skipped(tgid, TAG(102), true) || !fast_skipped(tgid, TAG(102), false))
		return 45; /* TLS ciphertext not cached */
	bounded_enter(id, 104, 0, 0, SC_READ);
	if (fast_skipped(tgid, TAG(104), false))
		return 46; /* a connection still copied, cached */
	args_take(id, &(struct sock_args){}); /* the stash that read left */
	watch_put(&w, WATCH_ACCEPTED);
	bounded_enter(id, 103, 0, 0, SC_READ);
	if (fast_skipped(tgid, TAG(103), false))
		return 47; /* cached while its first read is watched */
	watch_del(&w);
	bounded_enter(id, 103, 0, 0, SC_READ);
	if (!fast_skipped(tgid, TAG(103), false))
		return 48;
	conn_end(tgid, 103, TAG(103));
	if (fast_skipped(tgid, TAG(103), false))
		return 49; /* its connection's end did not empty it */
	*sock_slot(tgid ^ FAST_SLOTS, TAG(101)) = sock_mark(tgid ^ FAST_SLOTS, TAG(101), SKIP_ALL);
	if (fast_skipped(tgid, TAG(101), false))
		return 50; /* another process's mark in the slot taken as ours */
	conn_end(tgid, 100, 0);
	if (fast_skipped(tgid, TAG(100), false))
		return 51; /* close did not empty it */
	if (sockfd < 0 || conn_put(tgid, sockfd, AR_ROLE_SERVER, CUT_SKIP, 0))
		return 52;
	bounded_enter(id, sockfd, 0, 0, SC_READ);
	if (!fast_skipped(tgid, 0, false))
		return 53;
	if (!conn_get(tgid, sockfd, AR_ROLE_CLIENT, true) || !tag_of(tgid, sockfd))
		return 54;
	if (fast_skipped(tgid, tag_of(tgid, sockfd), false))
		return 55; /* a new connection on the fd taken as skipped */
	if (fast_skipped(tgid, TAG(999), false))
		return 56; /* a socket never cached */
	/* the socket is the mark: another socket, or process, is not it */
	fast_skip(tgid, 0x1235, SKIP_ALL);
	if (!fast_skipped(tgid, 0x1235, false))
		return 57;
	if (fast_skipped(tgid, 0x2469, false) || fast_skipped(tgid ^ 1, 0x1235, true))
		return 58; /* a reused fd's new socket skipped by the old one's mark */
	return 0;
}

/* stash_sock_args on a skipped client connection (SKIP_READS): a write()
 * that starts no POST returns at the cache; a POST goes on to the slow
 * path, which reopens the connection and stashes the write. */
/* One copy of stash_sock_args, not three inlined (512 bytes of stack). */
static __attribute__((noinline)) int stash_write(__s32 fd, __u64 buf, __u32 len)
{
	stash_sock_args(fd, buf, len, SC_WRITE, NULL);
	return 0;
}

/* The state of the connection on fd: its conn_id, or 0 when none; with
 * skip set, marks it skipped past its first message first. */
static __attribute__((noinline)) __u64 conn_of(__u32 tgid, __s32 fd, int skip)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state *st = bpf_map_lookup_elem(&conns, &k);

	if (!st)
		return 0;
	if (skip) {
		st->cut = CUT_SKIP;
		st->seq[AR_DIR_EGRESS] = 100;
	}
	return st->cut == CUT_FULL || skip ? st->conn_id : 0;
}

static __always_inline int check_client_write(__u64 id)
{
	__u32 tgid = id >> 32;
	struct sock_args *a;

	/* cut, not skipped: the slow path would stash this GET */
	if (conn_put(tgid, sockfd, AR_ROLE_CLIENT, CUT_BOUNDED, 0))
		return 60;
	fast_skip(tgid, 0, SKIP_READS);
	stash_write(sockfd, get_buf, 20);
	if (bpf_map_lookup_elem(&active_sock_args, &id))
		return 61; /* the GET was not stopped at the cache */
	stash_write(sockfd, post_buf, 4);
	if (bpf_map_lookup_elem(&active_sock_args, &id))
		return 62; /* nor a write too short to be a POST */
	if (conn_of(tgid, sockfd, 1) != 1000 + sockfd)
		return 63;
	stash_write(sockfd, post_buf, 20);
	a = bpf_map_lookup_elem(&active_sock_args, &id);
	if (!a || a->fd != sockfd || a->_pad != BOUNDED_CALL)
		return 64; /* the POST was stopped at the cache */
	id = conn_of(tgid, sockfd, 0);
	if (!id || id == 1000 + sockfd)
		return 65; /* not reopened (a new conn_id, copied whole) */
	return 0;
}

SEC("raw_tp")
int fastpath(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if (phase == 1) {
		step = is_target_fast(tgid) ? 0 : 30; /* userspace's bump not seen */
		return 0;
	}
	step = check_targets(tgid);
	if (!step)
		step = check_args(id);
	if (!step)
		step = check_watch(tgid);
	if (!step)
		step = check_fdcache(id);
	return 0;
}

/* A program of its own: inlined beside the others it passed 512 bytes
 * of stack. */
SEC("raw_tp")
int client_write(void *ctx)
{
	step = check_client_write(bpf_get_current_pid_tgid());
	return 0;
}

/* A target's TLS socket (tls_done): cached, by socket, only once its SSL*
 * is linked to it, never with AEAD probes on or without an SSL*; the
 * SSL*'s end and the close empty it. Runs once userspace has made this
 * task a target. */
#define SSL_PTR 0x5551ull

/* Helpers of their own frames: inlined, check_tls_settle's stack and
 * stash_write's passed 512 bytes together. */
static __attribute__((noinline)) int tls_put(__u32 tgid, __u64 sock_conn_id, __s32 fd)
{
	struct tls_key tk = { .tgid = tgid, .ssl = SSL_PTR };
	struct tls_state ts = { .conn_id = 77, .sock_conn_id = sock_conn_id, .fd = fd };

	return bpf_map_update_elem(&tls_conns, &tk, &ts, BPF_ANY);
}

static __attribute__((noinline)) int settle(__u64 id, __s32 fd, __u64 ssl)
{
	struct sock_key k = { .tgid = id >> 32, .fd = fd };
	struct conn_state *st = bpf_map_lookup_elem(&conns, &k);

	if (!st)
		return -1;
	tls_fd_settle(id, fd, st, ssl);
	return 0;
}

static __attribute__((noinline)) int end_ssl(void)
{
	return ssl_end(SSL_PTR);
}

static __attribute__((noinline)) int close_fd(__s32 fd)
{
	conn_end(bpf_get_current_pid_tgid() >> 32, fd, 0);
	return 0;
}

static __attribute__((noinline)) __u64 conn_id_of(__u32 tgid, __s32 fd)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state *st = bpf_map_lookup_elem(&conns, &k);

	return st ? st->conn_id : 0;
}

static __attribute__((noinline)) int drop_stash(__u64 id)
{
	struct sock_args a;

	return args_take(id, &a);
}

#define TLS_TAG 0x5a5a5a5bu /* the socket's sk_tag (never 0) */

/* Gives the conns entry of fd the socket tag tag. */
static __attribute__((noinline)) int set_tag(__u32 tgid, __s32 fd, __u32 tag)
{
	struct sock_key k = { .tgid = tgid, .fd = fd };
	struct conn_state *st = bpf_map_lookup_elem(&conns, &k);

	if (!st)
		return -1;
	st->sk_tag = tag;
	return 0;
}

static __always_inline int check_tls_settle(__u64 id)
{
	__u32 tgid = id >> 32;
	__u64 conn;

	if (!is_target_fast(tgid))
		return 70;
	drop_stash(id); /* what client_write's last check left */
	if (sockfd < 0 || conn_put(tgid, sockfd, AR_ROLE_CLIENT, CUT_NONE, 1) ||
	    set_tag(tgid, sockfd, TLS_TAG))
		return 71;
	conn = conn_id_of(tgid, sockfd);
	if (!conn || tls_put(tgid, 999, sockfd))
		return 71;
	settle(id, sockfd, SSL_PTR);
	if (fast_tls_settled(tgid, TLS_TAG))
		return 72; /* its SSL* is linked to another socket, yet cached */
	if (tls_put(tgid, conn, sockfd))
		return 71;
	aead_on = 1;
	settle(id, sockfd, SSL_PTR);
	aead_on = 0;
	if (fast_tls_settled(tgid, TLS_TAG))
		return 73; /* cached while AEAD probes need its reads */
	settle(id, sockfd, 1);
	if (fast_tls_settled(tgid, TLS_TAG))
		return 74; /* cached with no SSL* known */
	settle(id, sockfd, SSL_PTR);
	if (!fast_tls_settled(tgid, TLS_TAG))
		return 75;
	if (fast_tls_settled(tgid ^ 1, TLS_TAG) || fast_tls_settled(tgid, TLS_TAG ^ 2))
		return 76; /* another process's, or another socket's, taken as settled */
	if (fast_skipped(tgid, TLS_TAG, false) || fast_skipped(tgid, TLS_TAG, true))
		return 77; /* a target's state taken for an untargeted skip */
	end_ssl();
	if (fast_tls_settled(tgid, TLS_TAG))
		return 78; /* its SSL*'s end did not empty it */
	if (tls_put(tgid, conn, sockfd))
		return 79;
	settle(id, sockfd, SSL_PTR); /* a next SSL* on the same socket */
	if (!fast_tls_settled(tgid, TLS_TAG))
		return 79;
	close_fd(sockfd);
	return fast_tls_settled(tgid, TLS_TAG) ? 80 : 0; /* close did not empty it */
}

SEC("raw_tp")
int tls_settle(void *ctx)
{
	step = check_tls_settle(bpf_get_current_pid_tgid());
	return 0;
}
