/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel <-> userspace ABI: the records the BPF programs put on the ring
 * buffer, and the records userspace adds to the same stream (process info).
 * Capture files store exactly these records, so this header is also the
 * capture-file payload format (docs/capture-format.md).
 *
 * WARNING: changing any enum value, struct layout or size here breaks the
 * ABI with older capture files. Bump AR_CAPTURE_VERSION when you do.
 */
#ifndef AGENTRACE_EVENTS_H
#define AGENTRACE_EVENTS_H

#ifdef __BPF__
/* vmlinux.h already provides the __u* types. */
#else
#include <linux/types.h>
#endif

/* Bytes copied per data event. A power of two so the verifier can bound
 * lengths with a mask. Larger buffers are split into several events. */
#define AR_CHUNK_MAX 16384
/* At most this many chunks per syscall or SSL call (4 MiB); the rest is
 * counted as AR_STAT_DROP_TOO_BIG and shows up as a sequence gap. */
#define AR_MAX_CHUNKS_PER_CALL 256
/* iovec entries walked per readv/writev/sendmsg/recvmsg. */
#define AR_MAX_IOV 16
#define AR_COMM_LEN 16
#define AR_PATH_MAX 256

/* Record types. ABI: values are stored in capture files. */
enum ar_event_type {
	AR_EV_DATA = 1,       /* struct ar_data_event + payload */
	AR_EV_CONN_OPEN = 2,  /* struct ar_conn_event: a TCP socket was seen */
	AR_EV_CONN_CLOSE = 3, /* struct ar_conn_event: socket or SSL* ended */
	AR_EV_PROC_EXEC = 4,  /* struct ar_proc_event */
	AR_EV_PROC_EXIT = 5,  /* struct ar_proc_event */
	AR_EV_PROC_INFO = 6,  /* struct ar_proc_info: written by userspace */
	AR_EV_LIB_MAP = 7,    /* struct ar_proc_event: a process maps a libssl*
			       * file (dlopen); filename holds its base name */
	AR_EV_PROC_FORK = 8,  /* struct ar_proc_event: a target forked a new
			       * process (hdr.tgid); no filename */
	AR_EV_PROC_RUNTIME = 9, /* struct ar_proc_runtime: written by userspace */
	AR_EV_INJECT = 10,    /* struct ar_inject_event (agentrace/inject.h): the
			       * ids bpf/inject.bpf.c put into a request */
	AR_EV_FIRST_WRITE = 13, /* struct ar_first_write: the first bytes an
				 * untargeted process wrote on a TCP socket it
				 * connected (--promote; bpf/promote.bpf.h) */
	AR_EV_TLS_ODD = 14,   /* struct ar_tls_odd: a TLS read/write call whose
			       * result contradicts its arguments (bpf/tls.bpf.h) */
	AR_EV_TARGET = 15,    /* struct ar_target_event: written by userspace
			       * when it promotes a process (agent-first), so
			       * that analyze knows who was a target */
	AR_EV_PROC_HELD = 16, /* struct ar_proc_event: a selector target stopped
			       * at its first connect until its uprobes are in
			       * (bpf/exec_hold.bpf.h); AR_F_HOLD_FAILED: the
			       * signal failed and it runs on */
};

/* Direction relative to the traced process. ABI. */
enum ar_dir {
	AR_DIR_EGRESS = 0,  /* the process wrote these bytes */
	AR_DIR_INGRESS = 1, /* the process read these bytes */
};

/* Which side opened the TCP connection. ABI. */
enum ar_role {
	AR_ROLE_UNKNOWN = 0, /* first seen on read/write, e.g. before we started */
	AR_ROLE_CLIENT = 1,  /* connect() */
	AR_ROLE_SERVER = 2,  /* accept()/accept4() */
};

/* Where the bytes came from. ABI. */
enum ar_source {
	AR_SRC_SOCKET = 0, /* plaintext socket syscall */
	AR_SRC_TLS = 1,    /* OpenSSL SSL_read/SSL_write plaintext */
};

/* ar_event_hdr.flags bits. ABI. */
enum ar_event_flags {
	AR_F_TLS = 1 << 0,       /* the stream is TLS plaintext (conn_id keys an SSL*) */
	AR_F_TRUNCATED = 1 << 1, /* the call moved more bytes than were copied */
	AR_F_CIPHERTEXT = 1 << 2, /* close of a TLS socket: its bytes were never
				   * emitted (the SSL* stream carries them) */
	AR_F_BOUNDED = 1 << 3,   /* data of a process that was not a target
				  * (bounded capture, bpf/bounded.bpf.h) */
	AR_F_MSG_START = 1 << 4, /* bounded data that starts a new request
				  * after its connection's start (a POST on a
				  * connection being cut): judge it */
	AR_F_HOLD_FAILED = 1 << 5, /* AR_EV_PROC_HELD only: SIGSTOP not sent */
	AR_F_SLACK = 1 << 6,     /* AR_EV_DATA reserved at a size class: the ring
				  * record runs past sizeof + len (the reader
				  * cuts it, user/capture/ring.c) */
};

/* Common header of every record. */
struct ar_event_hdr {
	__u16 type;    /* enum ar_event_type */
	__u16 flags;   /* enum ar_event_flags */
	__u32 tgid;    /* process id */
	__u32 tid;     /* thread id */
	__u32 _pad;
	__u64 ts_ns;   /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 conn_id; /* unique per socket connection or SSL* stream; 0 if none */
};

/* One chunk of a stream. data[len] follows the struct. */
struct ar_data_event {
	struct ar_event_hdr hdr;
	__u64 seq;          /* offset of data[0] within this direction's stream */
	__u64 sock_conn_id; /* TLS only: conn_id of the socket under the SSL*, or 0 */
	__u64 ssl_ptr;      /* TLS only: the SSL* value */
	__s32 fd;           /* socket fd, or -1 when not known (TLS over memory BIO) */
	__u32 len;          /* bytes of data[] in this record (<= AR_CHUNK_MAX) */
	__u8 dir;           /* enum ar_dir */
	__u8 source;        /* enum ar_source */
	__u8 _pad[6];
	char comm[AR_COMM_LEN];
	__u8 data[];
};

/* Socket 4-tuple. Addresses are in network byte order; IPv4 uses the first
 * four bytes of the address arrays. Ports are host byte order. */
struct ar_tuple {
	__u8 saddr[16]; /* local address */
	__u8 daddr[16]; /* remote address */
	__u16 sport;    /* local port */
	__u16 dport;    /* remote port */
	__u16 family;   /* AF_INET or AF_INET6 */
	__u16 _pad;
};

/* Connection opened (socket) or closed (socket or SSL*). */
struct ar_conn_event {
	struct ar_event_hdr hdr;
	struct ar_tuple tuple; /* zero on close of an SSL* stream */
	__s32 fd;
	__u8 role;             /* enum ar_role */
	__u8 _pad[3];
	__u64 bytes[2];        /* on close: stream length per enum ar_dir */
	char comm[AR_COMM_LEN];
};

/* Process exec or exit, from sched_process_exec/exit. */
struct ar_proc_event {
	struct ar_event_hdr hdr;
	__u32 ppid;
	__u32 _pad;
	char comm[AR_COMM_LEN];
	char filename[AR_PATH_MAX]; /* exec only: path passed to execve */
};

/* Written by userspace discovery into the same stream, so capture files
 * carry the identity that spans need. Strings are NUL-terminated. */
struct ar_proc_info {
	struct ar_event_hdr hdr;
	char comm[AR_COMM_LEN];
	char exe_path[AR_PATH_MAX];
	char service_name[128];  /* OTEL_SERVICE_NAME from /proc/PID/environ */
	char container_id[80];
	char pod_uid[48];
	char cgroup_path[256];
};

/* Written by userspace discovery right after AR_EV_PROC_INFO: who owns
 * the process and which language runtime it is, for the OTel resource.
 * A type of its own so capture files with the older info record still
 * read. Strings are NUL-terminated; "" means not known. */
struct ar_proc_runtime {
	struct ar_event_hdr hdr;
	char owner[32];           /* user name of the real uid, from the process's /etc/passwd */
	char runtime_name[16];    /* "cpython", "nodejs", "go" */
	char runtime_version[48]; /* e.g. "3.11", "go1.19.8" */
};

/* The head of the first write on a connection of a process that is not a
 * target (a TLS ClientHello, or a plaintext request line and headers), for
 * promotion by SNI or by request (user/discover/promote.c). */
#define AR_FIRST_WRITE_MAX 1024
struct ar_first_write {
	struct ar_event_hdr hdr;
	__s32 fd;
	__u32 len;      /* bytes of data[] copied (<= AR_FIRST_WRITE_MAX) */
	__u64 call_len; /* bytes the write call moved in its first buffer */
	__u8 data[AR_FIRST_WRITE_MAX];
};

/* A call of a TLS plaintext function that a right SSL_read/SSL_write never
 * makes: its result exceeds its length argument, a successful write moved
 * nothing, or its buffer cannot be read. Nothing of it is emitted; the
 * first-calls judge (discover/first_calls.h) counts it against probes placed
 * by evidence, which may sit on a wrong function or read the wrong
 * registers. */
enum ar_tls_odd_why {
	AR_ODD_RETURN = 1,     /* result inconsistent with the length argument */
	AR_ODD_UNREADABLE = 2, /* the buffer argument could not be read */
};
struct ar_tls_odd {
	struct ar_event_hdr hdr; /* conn_id 0: no stream is made for it */
	__u64 ssl_ptr;  /* the stream argument (SSL*) */
	__u64 len_arg;  /* the length argument (num) */
	__s64 ret;      /* the return value */
	__u64 done;     /* bytes the call says it moved (rc, or what *written says) */
	__u8 dir;       /* enum ar_dir */
	__u8 why;       /* enum ar_tls_odd_why */
	__u8 _pad[6];
};

/* hdr.tgid became a target (user/discover/discover.c, promote_pid). */
struct ar_target_event {
	struct ar_event_hdr hdr;
	__u32 reason; /* enum promote_reason (user/discover/promote.h) */
	__u32 _pad;
};

/* Per-CPU counters in the stats map, printed by name (ar_stat_names in
 * capture/probes.c). Append only: scripts read them by name. */
enum ar_stat {
	AR_STAT_EVENTS = 0,         /* records submitted to the ring */
	AR_STAT_BYTES,              /* payload bytes submitted */
	AR_STAT_DROP_RINGBUF,       /* ring buffer full: record lost */
	AR_STAT_DROP_READ,          /* bpf_probe_read_user failed */
	AR_STAT_DROP_TOO_BIG,       /* bytes beyond AR_MAX_CHUNKS_PER_CALL or AR_MAX_IOV */
	AR_STAT_DROP_CONN_MAP,      /* connection map update failed */
	AR_STAT_DROP_ARGS_MAP,      /* entry-args stash failed */
	AR_STAT_TLS_CIPHERTEXT,     /* ciphertext bytes on TLS sockets, not emitted */
	AR_STAT_TLS_NESTED_LINK,    /* SSL* linked to its socket via a nested syscall */
	AR_STAT_UNTARGETED,         /* calls skipped by the target filter */
	AR_STAT_CONN_OPEN,          /* connections opened */
	AR_STAT_CONN_CLOSE,         /* connections closed */
	AR_STAT_PROC_EXEC,          /* exec events */
	AR_STAT_DROP_SCRATCH,       /* bytes lost: every scratch slot of the CPU busy */
	AR_STAT_TLS_BIO_LINK,       /* SSL* over a memory BIO linked to the socket
				     * written right after its SSL_write */
	AR_STAT_DROP_SHED,          /* bytes shed under ring pressure: a call's
				     * chunks after its first (3/4 full), large
				     * first chunks (7/8 full); emit.bpf.h */
	AR_STAT_BOUNDED_BYTES,      /* bytes of untargeted processes' calls left
				     * uncopied by bounded capture (bounded.bpf.h) */
	AR_STAT_VERDICT_HIT,        /* connections the kernel stopped copying on
				     * userspace's verdict (bounded.bpf.h) */
	AR_STAT_BOUNDED_REOPEN,     /* skipped connections opened again by a
				     * new POST (bounded.bpf.h) */
	AR_STAT_AEAD_UNLINKED,      /* rustls records through an EVP_AEAD_CTX not
				     * tied to a socket: not emitted (tls_aead.bpf.h) */
	AR_STAT_AEAD_NOT_DATA,      /* rustls records that are not application
				     * data (handshake, alert): not emitted */
	AR_STAT_AEAD_LOST,          /* rustls records whose inner type was not
				     * found (padding, unreadable): a gap */
	AR_STAT_AEAD_TLS12,         /* rustls records of TLS 1.2 (13-byte
				     * associated data): not taken */
	AR_STAT_AEAD_IN_SSL,        /* records sealed/opened inside a probed
				     * SSL_* call: taken from that call */
	AR_STAT_SOCK_UNDECODED,     /* TCP bytes moved by calls other than the
				     * read/write/send/recv family (io_uring,
				     * sendfile, splice, *mmsg): not captured
				     * (sock_call.bpf.h) */
	AR_STAT_MAX,
};

#ifndef __BPF__
_Static_assert(sizeof(struct ar_event_hdr) == 32, "ar_event_hdr ABI");
_Static_assert(sizeof(struct ar_data_event) == 88, "ar_data_event ABI");
_Static_assert(sizeof(struct ar_tuple) == 40, "ar_tuple ABI");
_Static_assert(sizeof(struct ar_conn_event) == 112, "ar_conn_event ABI");
_Static_assert(sizeof(struct ar_proc_event) == 312, "ar_proc_event ABI");
_Static_assert(sizeof(struct ar_proc_info) == 816, "ar_proc_info ABI");
_Static_assert(sizeof(struct ar_proc_runtime) == 128, "ar_proc_runtime ABI");
_Static_assert(sizeof(struct ar_tls_odd) == 72, "ar_tls_odd ABI");
_Static_assert(sizeof(struct ar_first_write) == 48 + AR_FIRST_WRITE_MAX, "ar_first_write ABI");
_Static_assert(sizeof(struct ar_target_event) == 40, "ar_target_event ABI");
#endif

#endif /* AGENTRACE_EVENTS_H */
