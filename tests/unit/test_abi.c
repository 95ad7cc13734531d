// SPDX-License-Identifier: MIT
/*
 * Pins the kernel/user ABI of include/agentrace/events.h numerically:
 * capture files store these structs, so any layout change must be a
 * deliberate AR_CAPTURE_VERSION bump that also updates this file.
 */
#include <criterion/criterion.h>
#include <stddef.h>

#include <agentrace/events.h>

#define OFF(type, field, want) \
	cr_expect_eq(offsetof(struct type, field), (size_t)(want), #type "." #field " at %zu", \
		     offsetof(struct type, field))
#define SIZE(type, want) \
	cr_expect_eq(sizeof(struct type), (size_t)(want), "sizeof " #type " is %zu", \
		     sizeof(struct type))

Test(abi_events, event_hdr)
{
	SIZE(ar_event_hdr, 32);
	OFF(ar_event_hdr, type, 0);
	OFF(ar_event_hdr, flags, 2);
	OFF(ar_event_hdr, tgid, 4);
	OFF(ar_event_hdr, tid, 8);
	OFF(ar_event_hdr, _pad, 12);
	OFF(ar_event_hdr, ts_ns, 16);
	OFF(ar_event_hdr, conn_id, 24);
}

Test(abi_events, data_event)
{
	SIZE(ar_data_event, 88);
	OFF(ar_data_event, hdr, 0);
	OFF(ar_data_event, seq, 32);
	OFF(ar_data_event, sock_conn_id, 40);
	OFF(ar_data_event, ssl_ptr, 48);
	OFF(ar_data_event, fd, 56);
	OFF(ar_data_event, len, 60);
	OFF(ar_data_event, dir, 64);
	OFF(ar_data_event, source, 65);
	OFF(ar_data_event, _pad, 66);
	OFF(ar_data_event, comm, 72);
	OFF(ar_data_event, data, 88);
}

Test(abi_events, tuple)
{
	SIZE(ar_tuple, 40);
	OFF(ar_tuple, saddr, 0);
	OFF(ar_tuple, daddr, 16);
	OFF(ar_tuple, sport, 32);
	OFF(ar_tuple, dport, 34);
	OFF(ar_tuple, family, 36);
	OFF(ar_tuple, _pad, 38);
}

Test(abi_events, conn_event)
{
	SIZE(ar_conn_event, 112);
	OFF(ar_conn_event, hdr, 0);
	OFF(ar_conn_event, tuple, 32);
	OFF(ar_conn_event, fd, 72);
	OFF(ar_conn_event, role, 76);
	OFF(ar_conn_event, _pad, 77);
	OFF(ar_conn_event, bytes, 80);
	OFF(ar_conn_event, comm, 96);
}

Test(abi_events, proc_event)
{
	SIZE(ar_proc_event, 312);
	OFF(ar_proc_event, hdr, 0);
	OFF(ar_proc_event, ppid, 32);
	OFF(ar_proc_event, _pad, 36);
	OFF(ar_proc_event, comm, 40);
	OFF(ar_proc_event, filename, 56);
}

Test(abi_events, proc_info)
{
	SIZE(ar_proc_info, 816);
	OFF(ar_proc_info, hdr, 0);
	OFF(ar_proc_info, comm, 32);
	OFF(ar_proc_info, exe_path, 48);
	OFF(ar_proc_info, service_name, 304);
	OFF(ar_proc_info, container_id, 432);
	OFF(ar_proc_info, pod_uid, 512);
	OFF(ar_proc_info, cgroup_path, 560);
}

Test(abi_events, proc_runtime)
{
	SIZE(ar_proc_runtime, 128);
	OFF(ar_proc_runtime, hdr, 0);
	OFF(ar_proc_runtime, owner, 32);
	OFF(ar_proc_runtime, runtime_name, 64);
	OFF(ar_proc_runtime, runtime_version, 80);
}

Test(abi_events, target_event)
{
	SIZE(ar_target_event, 40);
	OFF(ar_target_event, hdr, 0);
	OFF(ar_target_event, reason, 32);
}

Test(abi_events, constants_and_enums)
{
	cr_expect_eq(AR_CHUNK_MAX, 16384);
	cr_expect_eq(AR_CHUNK_MAX & (AR_CHUNK_MAX - 1), 0, "AR_CHUNK_MAX must be a power of two");
	cr_expect_eq(AR_MAX_CHUNKS_PER_CALL, 256);
	cr_expect_eq(AR_MAX_IOV, 16);
	cr_expect_eq(AR_COMM_LEN, 16);
	cr_expect_eq(AR_PATH_MAX, 256);

	cr_expect_eq(AR_EV_DATA, 1);
	cr_expect_eq(AR_EV_CONN_OPEN, 2);
	cr_expect_eq(AR_EV_CONN_CLOSE, 3);
	cr_expect_eq(AR_EV_PROC_EXEC, 4);
	cr_expect_eq(AR_EV_PROC_EXIT, 5);
	cr_expect_eq(AR_EV_PROC_INFO, 6);
	cr_expect_eq(AR_EV_TLS_ODD, 14);
	cr_expect_eq(AR_EV_TARGET, 15);
	cr_expect_eq(AR_EV_PROC_HELD, 16);

	cr_expect_eq(AR_DIR_EGRESS, 0);
	cr_expect_eq(AR_DIR_INGRESS, 1);
	cr_expect_eq(AR_ROLE_UNKNOWN, 0);
	cr_expect_eq(AR_ROLE_CLIENT, 1);
	cr_expect_eq(AR_ROLE_SERVER, 2);
	cr_expect_eq(AR_SRC_SOCKET, 0);
	cr_expect_eq(AR_SRC_TLS, 1);
	cr_expect_eq(AR_F_TLS, 1);
	cr_expect_eq(AR_F_TRUNCATED, 2);
	cr_expect_eq(AR_F_CIPHERTEXT, 4);
	cr_expect_eq(AR_F_BOUNDED, 8);
	cr_expect_eq(AR_F_MSG_START, 16);
	cr_expect_eq(AR_F_HOLD_FAILED, 32);
}

Test(abi_events, stat_indexes)
{
	cr_expect_eq(AR_STAT_EVENTS, 0);
	cr_expect_eq(AR_STAT_BYTES, 1);
	cr_expect_eq(AR_STAT_DROP_RINGBUF, 2);
	cr_expect_eq(AR_STAT_DROP_READ, 3);
	cr_expect_eq(AR_STAT_DROP_TOO_BIG, 4);
	cr_expect_eq(AR_STAT_DROP_CONN_MAP, 5);
	cr_expect_eq(AR_STAT_DROP_ARGS_MAP, 6);
	cr_expect_eq(AR_STAT_TLS_CIPHERTEXT, 7);
	cr_expect_eq(AR_STAT_TLS_NESTED_LINK, 8);
	cr_expect_eq(AR_STAT_UNTARGETED, 9);
	cr_expect_eq(AR_STAT_CONN_OPEN, 10);
	cr_expect_eq(AR_STAT_CONN_CLOSE, 11);
	cr_expect_eq(AR_STAT_PROC_EXEC, 12);
	cr_expect_eq(AR_STAT_DROP_SCRATCH, 13);
	cr_expect_eq(AR_STAT_TLS_BIO_LINK, 14);
	cr_expect_eq(AR_STAT_DROP_SHED, 15);
	cr_expect_eq(AR_STAT_BOUNDED_BYTES, 16);
	cr_expect_eq(AR_STAT_VERDICT_HIT, 17);
	cr_expect_eq(AR_STAT_BOUNDED_REOPEN, 18);
	cr_expect_eq(AR_STAT_AEAD_UNLINKED, 19);
	cr_expect_eq(AR_STAT_AEAD_NOT_DATA, 20);
	cr_expect_eq(AR_STAT_AEAD_LOST, 21);
	cr_expect_eq(AR_STAT_AEAD_TLS12, 22);
	cr_expect_eq(AR_STAT_AEAD_IN_SSL, 23);
	cr_expect_eq(AR_STAT_MAX, 25);
}

Test(abi_events, tls_odd)
{
	SIZE(ar_tls_odd, 72);
	OFF(ar_tls_odd, hdr, 0);
	OFF(ar_tls_odd, ssl_ptr, 32);
	OFF(ar_tls_odd, len_arg, 40);
	OFF(ar_tls_odd, ret, 48);
	OFF(ar_tls_odd, done, 56);
	OFF(ar_tls_odd, dir, 64);
	OFF(ar_tls_odd, why, 65);
	cr_expect_eq(AR_EV_TLS_ODD, 14);
	cr_expect_eq(AR_ODD_RETURN, 1);
	cr_expect_eq(AR_ODD_UNREADABLE, 2);
}
