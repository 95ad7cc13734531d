// SPDX-License-Identifier: MIT
/*
 * The floor for untargeted syscalls (issue #13): EMPTY programs on exactly
 * the tracepoints agentrace's capture object attaches (every "tracepoint/"
 * and, as raw programs, every "tp_btf/" section but the per-fork one, of
 * capture.bpf.o, read from the object so the two never drift apart). What remains of the throughput is what reaching a BPF program at
 * all costs on this kernel; agentrace's untargeted path is measured
 * against it.
 *
 *   floor_tracepoints CAPTURE_BPF_O        classic tracepoints, as agentrace
 *   floor_tracepoints --raw                raw_syscalls sys_enter/sys_exit
 *                                          (every syscall, no perf buffer)
 *   floor_tracepoints --sock               raw sock:sock_send_length,
 *                                          sock:sock_recv_length and
 *                                          sock:inet_sock_set_state: only
 *                                          socket I/O and TCP state changes
 *                                          reach a program, and no syscall
 *                                          takes the tracing slow path
 *   floor_tracepoints --hybrid CAPTURE_BPF_O   --sock, plus the object's
 *                                          syscall tracepoints other than
 *                                          the data ones (connect, accept,
 *                                          close, mmap): data at the socket
 *                                          layer, lifecycle at the syscalls
 *
 * Prints READY once attached and runs until SIGINT/SIGTERM. The fork
 * tp_btf program is left out: it runs per fork, not per syscall. Since
 * agentrace's capture moved to the socket layer (its object has no
 * syscall tracepoint left), CAPTURE_BPF_O gives what --sock does plus its
 * mmap_lock program; --hybrid keeps the historical syscall sets' meaning
 * only for an object that still has them.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floor_common.h"

/* Tracepoint id of "cat/name", or -errno. */
static int tp_id(const char *cat_name)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	char path[256], buf[32];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/id", roots[i], cat_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		return atoi(buf) > 0 ? atoi(buf) : -EINVAL;
	}
	return -ENOENT;
}

/* Attaches prog to tracepoint cat_name; returns the perf fd or -errno. A
 * tracepoint's BPF program runs on every CPU whatever the event's cpu. */
static int attach_tp(int prog, const char *cat_name)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr) };
	int id = tp_id(cat_name), fd;

	if (id < 0)
		return id;
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	fd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* A data syscall's tracepoint (read, write, their vector and socket
 * forms), which --hybrid leaves to the socket layer. */
static bool data_syscall(const char *sec)
{
	static const char *const data[] = { "read", "write", "readv", "writev", "recvfrom",
					     "sendto", "recvmsg", "sendmsg" };
	const char *name = strrchr(sec, '/');

	name = name ? name + 1 : sec;
	if (!strncmp(name, "sys_enter_", 10))
		name += 10;
	else if (!strncmp(name, "sys_exit_", 9))
		name += 9;
	else
		return false;
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		if (!strcmp(name, data[i]))
			return true;
	return false;
}

static int attach_raw_one(const char *tp);

static int attach_capture_tracepoints(const char *obj_path, bool skip_data)
{
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	struct bpf_program *p;
	int prog, n = 0;

	if (!obj) {
		fprintf(stderr, "floor_tracepoints: open %s: %s\n", obj_path, strerror(errno));
		return -1;
	}
	prog = floor_empty_prog(BPF_PROG_TYPE_TRACEPOINT, "floor_tp", 0);
	if (prog < 0) {
		fprintf(stderr, "floor_tracepoints: load: %s\n", strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p);
		int fd;

		/* the object's BTF tracepoints but the per-fork one: the same
		 * tracepoint, reached by an empty raw program */
		/* tcp_sendmsg_locked: agent-first only (L and B have it not) */
		if (!skip_data && !strncmp(sec, "tp_btf/", 7) && strncmp(sec + 7, "sched_", 6) &&
		    strcmp(sec + 7, "tcp_sendmsg_locked")) {
			if (attach_raw_one(sec + 7))
				return -1;
			n++;
			continue;
		}
		if (strncmp(sec, "tracepoint/", 11) || (skip_data && data_syscall(sec)))
			continue;
		fd = attach_tp(prog, sec + 11);
		if (fd < 0) {
			fprintf(stderr, "floor_tracepoints: attach %s: %s\n", sec, strerror(-fd));
			return -1;
		}
		n++;
	}
	bpf_object__close(obj);
	fprintf(stderr, "floor_tracepoints: %d tracepoints\n", n);
	return n ? 0 : -1;
}

/* The socket-layer alternative to syscall tracepoints: a program there
 * sees the socket (sk, so the 4-tuple) and, through the task's syscall
 * registers (bpf_task_pt_regs), the fd and the user buffer, already
 * filled for a receive. */
static const char *const sock_tps[] = { "sock_send_length", "sock_recv_length",
					"inet_sock_set_state" };
static const char *const raw_tps[] = { "sys_enter", "sys_exit" };

static int attach_raw_one(const char *tp)
{
	static int prog = -1;

	if (prog < 0)
		prog = floor_empty_prog(BPF_PROG_TYPE_RAW_TRACEPOINT, "floor_raw", 0);
	if (prog < 0) {
		fprintf(stderr, "floor_tracepoints: load raw: %s\n", strerror(errno));
		return -1;
	}
	if (bpf_raw_tracepoint_open(tp, prog) < 0) {
		fprintf(stderr, "floor_tracepoints: attach %s: %s\n", tp, strerror(errno));
		return -1;
	}
	return 0;
}

static int attach_raw(const char *const *tps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (attach_raw_one(tps[i]))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int err;

	if (argc == 3 && !strcmp(argv[1], "--hybrid")) {
		err = attach_raw(sock_tps, sizeof(sock_tps) / sizeof(sock_tps[0])) ||
		      attach_capture_tracepoints(argv[2], true);
		return err ? 1 : floor_hold();
	}
	if (argc != 2) {
		fprintf(stderr, "usage: floor_tracepoints CAPTURE_BPF_O | --raw | --sock | "
				"--hybrid CAPTURE_BPF_O\n");
		return 2;
	}
	if (!strcmp(argv[1], "--raw"))
		err = attach_raw(raw_tps, sizeof(raw_tps) / sizeof(raw_tps[0]));
	else if (!strcmp(argv[1], "--sock"))
		err = attach_raw(sock_tps, sizeof(sock_tps) / sizeof(sock_tps[0]));
	else
		err = attach_capture_tracepoints(argv[1], false);
	return err ? 1 : floor_hold();
}
