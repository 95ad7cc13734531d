/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Every map the capture programs share, with its key, value and writers. */
#ifndef AR_MAPS_BPF_H
#define AR_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <agentrace/events.h>
#include <agentrace/conns.h>
#include "target.bpf.h" /* targ_all, self_tgid, targets, is_target */

/* Set by userspace between open and load. */
const volatile bool targ_comm = false;   /* target_comms holds entries */
const volatile bool targ_cgroup = false; /* target_cgroups holds entries */

/* Next connection id; ids are unique for the life of the loaded object. */
__u64 next_conn_id = 0;

/* Records to userspace. Size set by userspace (--ringbuf-mb).
 * Writers: every program. Reader: user/capture/ring.c. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Counters, index enum ar_stat -> u64 per CPU.
 * Writers: every program. Reader: user/capture/probes.c (stats dump). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AR_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Per-CPU scratch in which a data record is assembled before
 * bpf_ringbuf_output copies just header + len bytes. Key: slot index
 * 0..AR_SCRATCH_SLOTS-1; value: a record plus its owner. Uprobe
 * programs run with migration disabled but stay preemptible
 * (PREEMPT_DYNAMIC, preempt=full/lazy), so a second program can run on the
 * same CPU in the middle of a copy: each program claims a free slot with
 * cmpxchg on .owner and releases it when done. Writer/reader: emit.bpf.h. */
#define AR_SCRATCH_SLOTS 4
struct data_scratch {
	__u64 owner; /* pid_tgid + 1 of the program using the slot, 0 if free */
	struct ar_data_event ev;
	__u8 buf[AR_CHUNK_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AR_SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct data_scratch);
} scratch SEC(".maps");

/* --comm targets: comm (NUL padded) -> 1. Writer: userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[AR_COMM_LEN]);
	__type(value, __u8);
} target_comms SEC(".maps");

/* --cgroup targets: cgroup v2 id -> 1. Writer: userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} target_cgroups SEC(".maps");

/* Live TCP sockets: sock_key -> conn_state (agentrace/conns.h). LRU so a
 * missed close cannot fill it. Writers: sock.bpf.h at a process's first
 * data call on a socket, deleted at the socket's close (sock_state.bpf.h)
 * or when the fd is found on another socket; userspace at start for
 * untargeted processes' connections already open (discover/conn_seed.c);
 * tls.bpf.h reads it to link an SSL* to its socket. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sock_key);
	__type(value, struct conn_state);
} conns SEC(".maps");

/* Connections userspace found uninteresting: conn_id -> 1. Written by
 * userspace (discover/verdict.c) after the first message of an
 * untargeted process's connection; read and deleted by the socket
 * programs, which then mark the connection CUT_SKIP; deleted at close. LRU,
 * so verdicts on connections that never speak again age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} verdicts SEC(".maps");

/* One SSL* of a traced process. */
struct tls_key {
	__u32 tgid;
	__u32 _pad;
	__u64 ssl;
};
struct tls_state {
	__u64 conn_id;
	__u64 seq[2];
	__u64 sock_conn_id; /* socket under the SSL*, once a syscall nested */
	__s32 fd;
	__u32 sock_tag;     /* that socket's sk_tag, once settled (tls_fd_settle) */
};
/* Live SSL* streams: tls_key -> tls_state. Writers: tls.bpf.h on first
 * SSL_read/SSL_write, deleted on SSL_shutdown/SSL_free; rustls record
 * streams (tls_aead.bpf.h), deleted when their socket closes
 * (aead_link.bpf.h). LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tls_key);
	__type(value, struct tls_state);
} tls_conns SEC(".maps");

/* An SSL_write whose ciphertext went to no socket during the call (node
 * writes through a memory BIO): pid_tgid -> bio_pending. Written by the
 * SSL_write uretprobe; taken (and deleted) by the next write on a TLS
 * socket from the same thread, which links the SSL* to that socket when
 * the sizes agree (tls.bpf.h, tls_bio_link). LRU: a thread that never
 * writes the socket just ages out. */
struct bio_pending {
	__u64 ssl;
	__u64 ts;   /* bpf_ktime_get_ns at the latest SSL_write return */
	__u64 len;  /* plaintext bytes written since the socket was last written */
	__u64 calls; /* SSL_write calls they took (each makes at least one record) */
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct bio_pending);
} tls_bio_pending SEC(".maps");

/* Arguments of a socket data call between its entry half and its exit
 * half (sock.bpf.h, sock_data). */
enum sock_call {
	SC_READ, SC_WRITE, SC_READV, SC_WRITEV, SC_RECVMSG, SC_SENDMSG,
};
struct sock_args {
	__u64 buf;    /* buffer, iovec array or user_msghdr */
	__s32 fd;
	__u32 call;   /* enum sock_call */
	__u32 iovcnt; /* readv/writev only */
	__u32 _pad;   /* PROMOTE_READ or BOUNDED_CALL: see promote/bounded.bpf.h */
};
/* pid_tgid -> sock_args. Written by a data call's entry half, taken by
 * its exit half (Pixie's active_*_args_map pattern, kept from the syscall
 * tracepoints: promotion and bounded capture stash what the exit needs).
 * LRU, and deleted at thread exit (proc.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sock_args);
} active_sock_args SEC(".maps");

/* Arguments of an SSL_read/SSL_write between uprobe and uretprobe. */
struct ssl_args {
	__u64 ssl;
	__u64 buf;
	__u64 len_ptr; /* _ex variants: size_t *readbytes / *written */
	__u64 num;     /* the length argument: buffer size, or bytes to write */
	__s32 fd;      /* socket a nested syscall used, or -1 */
	__u32 live;    /* 1 from the entry probe to its return probe */
};
/* The OpenSSL calls in progress on a thread, one slot per direction
 * (AR_DIR_*) so that a read nested in a write (renegotiation) cannot
 * clobber it. */
struct ssl_calls {
	struct ssl_args dir[2];
};
/* task -> ssl_calls (task local storage; the key is an int, a pidfd from
 * userspace). Written (created) by the uprobes, taken and marked not live
 * by the uretprobes; sock.bpf.h fills .fd from a nested syscall,
 * tls_aead.bpf.h asks whether a slot is live. Nothing deletes it: the
 * storage dies with the task, so a thread killed inside SSL_read leaves
 * nothing to mark a later thread with the same pid_tgid as inside an SSL
 * call (the LRU hashes keyed by pid_tgid it replaced were deleted at
 * thread exit for that). Task storage instead of those: their update,
 * lookup and delete on every SSL call (LRU pop/push, hashing) were ~2 %
 * of a traced client's CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ssl_calls);
} active_ssl_args SEC(".maps");

/* This thread's ssl_calls, made with BPF_LOCAL_STORAGE_GET_F_CREATE. NULL
 * when it has none (without create), or when the helper refused: no
 * memory, or (in kprobe and tracepoint programs) another task storage
 * operation in progress on this CPU. */
static __always_inline struct ssl_calls *ssl_calls_get(__u64 flags)
{
	return bpf_task_storage_get(&active_ssl_args, bpf_get_current_task_btf(), 0, flags);
}

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	counter_add(&stats, idx, n);
}

/* Wake the reader once per 2^wakeup_shift bytes of unread records: when
 * this record of len bytes carries the unread amount across a multiple of
 * it. Waking on every record once 256 KiB were unread (the rule before)
 * made a reader that had fallen behind cost one irq_work self-IPI per
 * record; without them the SSL exit programs take 6-18 % less time
 * (docs/performance.md). A wakeup is an APIC write, a VM exit under a
 * hypervisor: at 256 KiB they were still 6% of a traced wrk's SSL exit
 * programs, so userspace sets an eighth of the ring (1 MiB of the default
 * 8). A reader that is behind needs no wakeup anyway: its epoll is
 * level-triggered and it drains again right away. Userspace also drains
 * on a short poll timeout, so a wakeup lost to a racing producer costs at
 * most that. */
const volatile __u32 wakeup_shift = 18; /* written by userspace (probes.c) */

static __always_inline __u64 rb_flags_len(__u64 len)
{
	__u64 before = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 after = before + ((len + 8 + 7) & ~7ull); /* 8-byte record header */

	return before >> wakeup_shift != after >> wakeup_shift ? BPF_RB_FORCE_WAKEUP :
								   BPF_RB_NO_WAKEUP;
}

/* For a small record. */
static __always_inline __u64 rb_flags(void)
{
	return rb_flags_len(64);
}

static __always_inline __u64 new_conn_id(void)
{
	return __sync_fetch_and_add(&next_conn_id, 1) + 1;
}

#endif
