/* SPDX-License-Identifier: MIT */
/*
 * Which Linux capabilities agentrace holds, and what each missing one costs.
 * Live and record modes need CAP_BPF and CAP_PERFMON to load and attach
 * anything; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH let discovery read other
 * processes and their files. CAP_SYS_ADMIN covers CAP_BPF and CAP_PERFMON,
 * and on kernels before 5.8 (no CAP_BPF/CAP_PERFMON) it is the only way.
 * docs/security.md explains each one.
 */
#ifndef AR_COMMON_CAPS_H
#define AR_COMMON_CAPS_H

#include <stdbool.h>
#include <stdint.h>

/* Kernel capability numbers (linux/capability.h). */
#define CAPS_NR_DAC_READ_SEARCH 2
#define CAPS_NR_KILL 5
#define CAPS_NR_SYS_PTRACE 19
#define CAPS_NR_SYS_ADMIN 21
#define CAPS_NR_PERFMON 38
#define CAPS_NR_BPF 39

/* What agentrace can do, as bits of caps_report.have / .missing. */
enum caps_need {
	CAPS_BPF = 1u << 0,            /* bpf(): maps and programs */
	CAPS_PERFMON = 1u << 1,        /* tracing programs, perf events */
	CAPS_SYS_PTRACE = 1u << 2,     /* /proc/PID/{maps,root,exe,environ} */
	CAPS_DAC_READ_SEARCH = 1u << 3, /* files whatever their mode */
	CAPS_ALL = 0xfu,
};

/* Whether this kernel lets agentrace create uprobes. */
enum caps_uprobes {
	CAPS_UPROBES_UNKNOWN = 0,  /* not probed (no uprobe PMU, or no CAP_PERFMON) */
	CAPS_UPROBES_OK,
	CAPS_UPROBES_NEED_ADMIN,   /* Linux 6.16+ and backports: CAP_SYS_ADMIN only */
};

struct caps_report {
	uint64_t eff;           /* CapEff as the kernel reports it */
	unsigned have;          /* enum caps_need bits satisfied (SYS_ADMIN counted) */
	unsigned missing;       /* enum caps_need bits not satisfied */
	bool sys_admin;
	bool kernel_has_bpf_caps; /* CAP_BPF/CAP_PERFMON exist (Linux 5.8+) */
	bool user_ns;           /* not in the initial user namespace: BPF is refused */
	bool tracefs;           /* tracefs events are reachable */
	enum caps_uprobes uprobes;
};

/* Parses the CapEff line of a /proc/PID/status text. Returns 0, or
 * -ENOENT when the line is absent or malformed (*eff untouched). */
int caps__parse_status(const char *status, uint64_t *eff);

/* True when this process holds capability nr (CAPS_NR_*) now; false when
 * it does not or /proc/self/status cannot be read. */
bool caps__have(int nr);

/* Fills r->have/missing/sys_admin from r->eff and r->kernel_has_bpf_caps.
 * Pure: the unit-tested half of caps__check(). */
void caps__evaluate(struct caps_report *r);

/*
 * Reads this process's effective capabilities and environment (cap_last_cap,
 * user namespace, tracefs) and, when CAP_PERFMON is held without
 * CAP_SYS_ADMIN, asks the kernel whether it still allows uprobes (a
 * harmless uprobe on an unmapped memfd). Returns the missing enum caps_need
 * bits (0: all present), or -errno when /proc/self/status cannot be read
 * (out is then zeroed).
 */
int caps__check(struct caps_report *out);

/* True when nothing can be loaded or attached: live and record must stop. */
bool caps__fatal(const struct caps_report *r);

/* Logs one warn() per missing capability naming what still works, and one
 * info() summary line ("capabilities: ..."). */
void caps__log(const struct caps_report *r);

#endif
