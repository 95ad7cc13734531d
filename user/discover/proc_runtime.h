/* SPDX-License-Identifier: MIT */
/* Who owns a process and which language runtime it runs, for the OTel
 * resource (process.owner, process.runtime.name/version). Only what is
 * cheap and safe to know: the uid's name in the process's own /etc/passwd,
 * the executable's name (python3.11, node), a version in a node install
 * path, and a Go binary's build info section. Never the command line. */
#ifndef AR_DISCOVER_PROC_RUNTIME_H
#define AR_DISCOVER_PROC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include <agentrace/events.h>

/* Fills rec (header type AR_EV_PROC_RUNTIME, tgid pid, ts_ns now_mono).
 * exe_path is the process's resolved executable (from ar_proc_info).
 * Returns 0 (fields it could not learn stay ""), or -ENOENT when the
 * process is gone. */
int proc_runtime__read(uint32_t pid, uint64_t now_mono, const char *exe_path,
		       struct ar_proc_runtime *rec);

/* Pure parts, for tests. */
/* Name and version from an executable path; returns 0, or -ENOENT when
 * the name is not a runtime it knows (then Go is checked by ELF). */
int proc_runtime__from_exe(const char *exe_path, struct ar_proc_runtime *rec);
/* The Go version ("go1.19.8") in a .go.buildinfo section's first bytes
 * (Go >= 1.18 inline format) into out. Returns 0 or -EINVAL. */
int proc_runtime__go_buildinfo(const uint8_t *buf, size_t len, char *out, size_t cap);
/* The name of uid in an /etc/passwd text into out. Returns 0 or -ENOENT. */
int proc_runtime__passwd_name(const char *passwd, uint32_t uid, char *out, size_t cap);

#endif
