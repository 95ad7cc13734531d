/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The conns map's key and value (bpf/maps.bpf.h): written by the syscall
 * probes, and by userspace for connections that were open before the
 * daemon started (discover/conn_seed.c). Not stored in capture files. */
#ifndef AGENTRACE_CONNS_H
#define AGENTRACE_CONNS_H

#ifndef __BPF__
#include <linux/types.h>
#endif

/* One TCP socket of a process. */
struct sock_key {
	__u32 tgid;
	__s32 fd;
};

struct conn_state {
	__u64 conn_id;
	__u64 seq[2];  /* bytes seen per enum ar_dir: next record's offset */
	__u8 role;     /* enum ar_role */
	__u8 tls;      /* ciphertext: never emitted as data */
	__u8 cut;      /* untargeted process's: enum conn_cut */
	__u8 _pad;
	__u32 sk_tag;  /* the socket it was made for (sk_tag(), bpf/sk_mark.bpf.h);
			* 0 until its first call (seeded by userspace) */
};

/* conn_state.cut of an untargeted process's connection (bpf/bounded.bpf.h). */
enum conn_cut {
	CUT_NONE = 0,    /* a target's connection: copied whole */
	CUT_BOUNDED = 1, /* each call copied up to bounded_bytes */
	CUT_FULL = 2,    /* first message a POST: whole, until a verdict */
	CUT_SKIP = 3,    /* verdict or TLS: nothing copied */
};

#ifndef __BPF__
_Static_assert(sizeof(struct sock_key) == 8, "sock_key ABI");
_Static_assert(sizeof(struct conn_state) == 32, "conn_state ABI");
#endif

#endif
