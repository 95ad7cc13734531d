// SPDX-License-Identifier: MIT
/*
 * The floor for traced TLS (issue #13): EMPTY programs on SSL_write and
 * SSL_read, entry and return, attached inside one process only, exactly
 * where agentrace's scoped uprobes sit. What remains of the throughput is
 * what the traps alone cost; agentrace's work is measured against it.
 *
 *   floor_probes PID LIBSSL   prints READY once attached, runs until SIGINT
 *
 * FLOOR_NO_RETURN=SSL_write leaves out that function's return probe: the
 * floor at agentrace's own points when it reads SSL_write at entry.
 *
 * Uses the perf uprobe PMU with a pid (root), as libbpf does.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "discover/elf_image.h"

#include "floor_common.h"

static int read_int(const char *path, const char *skip)
{
	char buf[64] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return atoi(buf + (strncmp(buf, skip, strlen(skip)) ? 0 : strlen(skip)));
}

static int attach(int prog, int type, int ret_bit, bool ret, int pid, const char *path,
		  size_t off)
{
	struct perf_event_attr attr = { .type = type, .size = sizeof(attr) };
	int fd;

	attr.config = ret ? 1ull << ret_bit : 0;
	attr.config1 = (uint64_t)(uintptr_t)path;
	attr.config2 = off;
	fd = syscall(__NR_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
		return -errno;
	return fd;
}

int main(int argc, char **argv)
{
	static const char *const fns[] = { "SSL_write", "SSL_read" };
	struct elf_func syms[2];
	struct elf_image *img;
	uint64_t off[2] = { 0, 0 };
	int prog, type, ret_bit, pid;

	if (argc != 3) {
		fprintf(stderr, "usage: floor_probes PID LIBSSL\n");
		return 2;
	}
	pid = atoi(argv[1]);
	if (elf_image__open(argv[2], &img) == 0) {
		if (elf_image__funcs(img, fns, 2, syms) == 2) {
			off[0] = elf_image__file_off(img, syms[0].addr);
			off[1] = elf_image__file_off(img, syms[1].addr);
		}
		elf_image__close(img);
	}
	/* FLOOR_AT=VADDR,VADDR: entry and return probes at these two
	 * addresses instead (experiments with other points). */
	if (getenv("FLOOR_AT") && elf_image__open(argv[2], &img) == 0) {
		unsigned long long a = 0, b = 0;

		sscanf(getenv("FLOOR_AT"), "%llx,%llx", &a, &b);
		off[0] = elf_image__file_off(img, a);
		off[1] = elf_image__file_off(img, b);
		elf_image__close(img);
	}
	if (!off[0] || !off[1]) {
		fprintf(stderr, "floor_probes: no OpenSSL symbols in %s\n", argv[2]);
		return 1;
	}
	type = read_int("/sys/bus/event_source/devices/uprobe/type", "");
	ret_bit = read_int("/sys/bus/event_source/devices/uprobe/format/retprobe", "config:");
	prog = floor_empty_prog(BPF_PROG_TYPE_KPROBE, "floor");
	if (type <= 0 || ret_bit < 0 || prog < 0) {
		fprintf(stderr, "floor_probes: no uprobe PMU or program: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		const char *no_ret = getenv("FLOOR_NO_RETURN");
		const char *inner = getenv("FLOOR_INNER"); /* "A,B": two entry-only points at +A, +B */

		if (inner) {
			unsigned a = 0, b = 0;

			sscanf(inner, "%x,%x", &a, &b);
			if (attach(prog, type, ret_bit, false, pid, argv[2], off[i] + a) < 0 ||
			    attach(prog, type, ret_bit, false, pid, argv[2], off[i] + b) < 0) {
				fprintf(stderr, "floor_probes: attach inner\n");
				return 1;
			}
			continue;
		}

		for (int ret = 0; ret < 2; ret++) {
			int fd;

			if (ret && no_ret && !strcmp(no_ret, fns[i]))
				continue;
			fd = attach(prog, type, ret_bit, ret, pid, argv[2], off[i]);

			if (fd < 0) {
				fprintf(stderr, "floor_probes: attach %s: %s\n", fns[i],
					strerror(-fd));
				return 1;
			}
		}
	}
	return floor_hold();
}
