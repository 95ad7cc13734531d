/* SPDX-License-Identifier: MIT */
/* `agentrace --list-tls PID`: which TLS library each candidate file of a
 * process carries and where its probes would go, or why not. Needs no
 * BPF: it reads /proc and the files only. */
#ifndef AR_DISCOVER_TLS_LIST_H
#define AR_DISCOVER_TLS_LIST_H

#include <stdint.h>
#include <stdio.h>

/* Prints the report for pid to out. Returns 0 or -errno (-ENOENT: no such
 * process). */
int tls_list__print(uint32_t pid, FILE *out);

#endif
