// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/readfile.h"
#include "common/caps.h"
#include "common/log.h"

#define BIT(nr) (1ull << (nr))
#define CAPS_NR_DAC_OVERRIDE 1

int caps__parse_status(const char *status, uint64_t *eff)
{
	static const char key[] = "CapEff:";
	const char *p = status;
	unsigned long long v;
	char *end;

	while (p && strncmp(p, key, sizeof(key) - 1) != 0) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return -ENOENT;
	p += sizeof(key) - 1;
	p += strspn(p, " \t");
	errno = 0;
	v = strtoull(p, &end, 16);
	if (errno || end == p || (*end && *end != '\n'))
		return -ENOENT;
	*eff = v;
	return 0;
}

void caps__evaluate(struct caps_report *r)
{
	uint64_t e = r->eff;

	r->sys_admin = e & BIT(CAPS_NR_SYS_ADMIN);
	r->have = 0;
	/* bpf_capable() and perfmon_capable() accept CAP_SYS_ADMIN too; before
	 * Linux 5.8 it is the only capability they know. */
	if (r->sys_admin || (r->kernel_has_bpf_caps && (e & BIT(CAPS_NR_BPF))))
		r->have |= CAPS_BPF;
	if (r->sys_admin || (r->kernel_has_bpf_caps && (e & BIT(CAPS_NR_PERFMON))))
		r->have |= CAPS_PERFMON;
	if (e & BIT(CAPS_NR_SYS_PTRACE))
		r->have |= CAPS_SYS_PTRACE;
	/* CAP_DAC_OVERRIDE bypasses read and search checks as well. */
	if (e & (BIT(CAPS_NR_DAC_READ_SEARCH) | BIT(CAPS_NR_DAC_OVERRIDE)))
		r->have |= CAPS_DAC_READ_SEARCH;
	r->missing = CAPS_ALL & ~r->have;
}

/* The kernel's highest capability number; CAP_BPF is 39. */
static bool kernel_has_bpf_caps(void)
{
	char buf[32];

	if (readfile__small("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) <= 0)
		return true; /* unknown: assume a current kernel */
	return atoi(buf) >= CAPS_NR_BPF;
}

/* Capabilities inside a user namespace do not count for bpf(): the kernel
 * checks them against the initial namespace, whose uid_map is the identity. */
static bool in_user_ns(void)
{
	unsigned long inner, outer, count;
	char buf[256], *nl;

	if (readfile__small("/proc/self/uid_map", buf, sizeof(buf)) <= 0)
		return false;
	if (sscanf(buf, "%lu %lu %lu", &inner, &outer, &count) != 3)
		return false;
	nl = strchr(buf, '\n');
	return inner != 0 || outer != 0 || count != 4294967295ul || (nl && nl[1]);
}

static bool tracefs_reachable(void)
{
	struct stat st;

	return stat("/sys/kernel/tracing/events/syscalls", &st) == 0 ||
	       stat("/sys/kernel/debug/tracing/events/syscalls", &st) == 0;
}

/*
 * Linux 6.16 (commit ba677dbe77af, backported to stable kernels) takes
 * uprobes back from CAP_PERFMON to CAP_SYS_ADMIN, and the version does not
 * say which kernels carry it, so ask: open a uprobe perf event on a memfd
 * that nothing maps. The permission check comes first; no breakpoint is
 * ever written because no process maps the file.
 */
static enum caps_uprobes probe_uprobes(void)
{
	static const unsigned char nops[16] = {
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	};
	struct perf_event_attr attr;
	enum caps_uprobes res = CAPS_UPROBES_UNKNOWN;
	char buf[32], path[64];
	int type, mfd, pfd;

	if (readfile__small("/sys/bus/event_source/devices/uprobe/type", buf, sizeof(buf)) <= 0)
		return CAPS_UPROBES_UNKNOWN;
	type = atoi(buf);
	mfd = memfd_create("agentrace-caps", MFD_CLOEXEC);
	if (mfd < 0)
		return CAPS_UPROBES_UNKNOWN;
	if (write(mfd, nops, sizeof(nops)) != sizeof(nops))
		goto cleanup;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config1 = (uint64_t)(uintptr_t)path;
	attr.config2 = 0;
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd >= 0) {
		close(pfd);
		res = CAPS_UPROBES_OK;
	} else if (errno == EACCES || errno == EPERM) {
		res = CAPS_UPROBES_NEED_ADMIN;
	}
cleanup:
	close(mfd);
	return res;
}

bool caps__have(int nr)
{
	char status[8192];
	uint64_t eff;

	return readfile__small("/proc/self/status", status, sizeof(status)) > 0 &&
	       caps__parse_status(status, &eff) == 0 && (eff >> nr & 1);
}

int caps__check(struct caps_report *out)
{
	char status[8192];
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	n = readfile__small("/proc/self/status", status, sizeof(status));
	if (n < 0)
		return n;
	err = caps__parse_status(status, &out->eff);
	if (err)
		return err;
	out->kernel_has_bpf_caps = kernel_has_bpf_caps();
	caps__evaluate(out);
	out->user_ns = in_user_ns();
	out->tracefs = tracefs_reachable();
	out->uprobes = CAPS_UPROBES_UNKNOWN;
	if (out->sys_admin)
		out->uprobes = CAPS_UPROBES_OK;
	else if ((out->have & CAPS_PERFMON) && !out->user_ns)
		out->uprobes = probe_uprobes();
	return out->missing;
}

bool caps__fatal(const struct caps_report *r)
{
	return (r->missing & (CAPS_BPF | CAPS_PERFMON)) || r->user_ns;
}

static const char *cap_name(unsigned need, bool bpf_caps)
{
	if (!bpf_caps && (need == CAPS_BPF || need == CAPS_PERFMON))
		return "CAP_SYS_ADMIN";
	switch (need) {
	case CAPS_BPF: return "CAP_BPF";
	case CAPS_PERFMON: return "CAP_PERFMON";
	case CAPS_SYS_PTRACE: return "CAP_SYS_PTRACE";
	case CAPS_DAC_READ_SEARCH: return "CAP_DAC_READ_SEARCH";
	}
	return "?";
}

void caps__log(const struct caps_report *r)
{
	const bool k = r->kernel_has_bpf_caps;

	if (r->user_ns)
		warn("running in a user namespace: capabilities there do not apply to bpf(); "
		     "nothing can be loaded (run in the host's user namespace)");
	if (r->missing & CAPS_BPF)
		warn("missing %s: BPF maps and programs cannot be created; nothing can be traced",
		     cap_name(CAPS_BPF, k));
	if ((r->missing & CAPS_PERFMON) && (k || !(r->missing & CAPS_BPF)))
		warn("missing %s: tracing programs cannot be loaded nor tracepoints and uprobes "
		     "attached; nothing can be traced", cap_name(CAPS_PERFMON, k));
	if (r->missing & CAPS_SYS_PTRACE)
		warn("missing CAP_SYS_PTRACE: /proc/PID/maps, root, exe and environ of processes "
		     "of other users or with more capabilities cannot be read, so their TLS "
		     "libraries (other containers and users) are not found, their HTTPS calls are "
		     "not captured, and their service names fall back to the command name");
	if (r->missing & CAPS_DAC_READ_SEARCH)
		warn("missing CAP_DAC_READ_SEARCH: files agentrace's user may not read (TLS "
		     "libraries and executables in other containers' root filesystems, "
		     "/proc/PID files of other users) cannot be opened, so OpenSSL probes are "
		     "not attached to them");
	/* capture/uprobe_tracefs.c falls back to tracefs-defined uprobes. */
	if (r->uprobes == CAPS_UPROBES_NEED_ADMIN &&
	    access("/sys/kernel/tracing/uprobe_events", W_OK) == 0)
		info("this kernel reserves the perf uprobe PMU for CAP_SYS_ADMIN (Linux 6.16+ and "
		     "stable kernels with commit ba677dbe77af); OpenSSL uprobes will be defined "
		     "through tracefs instead (scoped ones use uprobe_multi links on 6.6+)");
	else if (r->uprobes == CAPS_UPROBES_NEED_ADMIN)
		warn("this kernel allows perf uprobes only with CAP_SYS_ADMIN and "
		     "/sys/kernel/tracing/uprobe_events is not writable, so OpenSSL probes "
		     "cannot attach and HTTPS plaintext is not captured; plain HTTP still is "
		     "(mount tracefs read-write)");
	if (!r->tracefs && !r->sys_admin)
		warn("tracefs is not mounted at /sys/kernel/tracing and mounting it needs "
		     "CAP_SYS_ADMIN: syscall tracepoints cannot attach (mount it beforehand, "
		     "or mount the host's into the pod)");
	info("capabilities: effective %#llx; %s%s%s%s%s%s", (unsigned long long)r->eff,
	     r->missing ? "missing" : "all required present",
	     r->missing & CAPS_BPF ? " BPF" : "", r->missing & CAPS_PERFMON ? " PERFMON" : "",
	     r->missing & CAPS_SYS_PTRACE ? " SYS_PTRACE" : "",
	     r->missing & CAPS_DAC_READ_SEARCH ? " DAC_READ_SEARCH" : "",
	     r->sys_admin ? " (CAP_SYS_ADMIN held)" : "");
}
