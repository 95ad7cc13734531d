// SPDX-License-Identifier: MIT
/*
 * The floor for traced TLS (issue #13): EMPTY programs attached inside one
 * process only, on SSL_write and SSL_read (entry and return) or at the
 * points agentrace's plan names. What remains of the throughput is what
 * the traps alone cost; agentrace's work is measured against it.
 *
 *   floor_probes PID LIBSSL [{e|r}:FILE_OFFSET ...]
 *
 * prints READY once attached, runs until SIGINT. Without points: entry and
 * return of SSL_write and SSL_read. With them: entry (e) or return (r)
 * probes at those file offsets, e.g. the points of agentrace's own plan
 * (agentrace --list-tls).
 *
 * Attaches as agentrace does (capture/probes.c): through uprobe_multi
 * links scoped to the pid, one for the entries and one for the returns,
 * where the kernel has them; FLOOR_PERF=1, or an older kernel, uses the
 * perf uprobe PMU with the pid, as libbpf and bpftrace do (a costlier
 * dispatch per hit: with it the floor sat above agentrace's own run).
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

#include "capture/uprobe_multi.h"
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

#define POINTS_MAX 16

/* The default points: entry and return of SSL_write and SSL_read, where
 * every uprobe tracer of OpenSSL puts them. Returns how many, 0 if none. */
static size_t default_points(const char *lib, uint64_t *off, bool *ret)
{
	static const char *const fns[] = { "SSL_write", "SSL_read" };
	struct elf_func syms[2];
	struct elf_image *img;
	size_t n = 0;

	if (elf_image__open(lib, &img))
		return 0;
	if (elf_image__funcs(img, fns, 2, syms) == 2) {
		for (int i = 0; i < 2; i++) {
			for (int r = 0; r < 2; r++) {
				off[n] = elf_image__file_off(img, syms[i].addr);
				ret[n++] = r;
			}
		}
	}
	elf_image__close(img);
	return off[0] && off[2] ? n : 0;
}

int main(int argc, char **argv)
{
	uint64_t off[POINTS_MAX];
	bool ret[POINTS_MAX];
	int prog, type, ret_bit, pid;
	size_t n = 0;

	if (argc < 3 || argc > 3 + POINTS_MAX) {
		fprintf(stderr, "usage: floor_probes PID LIBSSL [{e|r}:FILE_OFFSET ...]\n");
		return 2;
	}
	pid = atoi(argv[1]);
	for (int i = 3; i < argc; i++) {
		ret[n] = argv[i][0] == 'r';
		off[n] = strtoull(argv[i] + 2, NULL, 16);
		if (!off[n++] || argv[i][1] != ':') {
			fprintf(stderr, "floor_probes: bad point %s\n", argv[i]);
			return 2;
		}
	}
	if (!n)
		n = default_points(argv[2], off, ret);
	if (!n) {
		fprintf(stderr, "floor_probes: no OpenSSL symbols in %s\n", argv[2]);
		return 1;
	}
	if (!getenv("FLOOR_PERF") && uprobe_multi__supported()) {
		prog = floor_empty_prog(BPF_PROG_TYPE_KPROBE, "floor", UPROBE_MULTI_ATTACH_TYPE);
		for (int r = 0; r < 2 && prog >= 0; r++) {
			uint64_t these[POINTS_MAX];
			size_t k = 0;
			int fd;

			for (size_t i = 0; i < n; i++)
				if (ret[i] == r)
					these[k++] = off[i];
			if (!k)
				continue;
			fd = uprobe_multi__attach(prog, argv[2], these, k, r, pid);
			if (fd < 0) {
				fprintf(stderr, "floor_probes: uprobe_multi: %s\n", strerror(-fd));
				return 1;
			}
		}
		if (prog < 0) {
			fprintf(stderr, "floor_probes: program: %s\n", strerror(errno));
			return 1;
		}
		return floor_hold();
	}
	type = read_int("/sys/bus/event_source/devices/uprobe/type", "");
	ret_bit = read_int("/sys/bus/event_source/devices/uprobe/format/retprobe", "config:");
	prog = floor_empty_prog(BPF_PROG_TYPE_KPROBE, "floor", 0);
	if (type <= 0 || ret_bit < 0 || prog < 0) {
		fprintf(stderr, "floor_probes: no uprobe PMU or program: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		int fd = attach(prog, type, ret_bit, ret[i], pid, argv[2], off[i]);

		if (fd < 0) {
			fprintf(stderr, "floor_probes: attach 0x%llx: %s\n",
				(unsigned long long)off[i], strerror(-fd));
			return 1;
		}
	}
	return floor_hold();
}
