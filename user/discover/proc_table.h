/* SPDX-License-Identifier: MIT */
/* Latest AR_EV_PROC_INFO per pid, for stamping spans with their process.
 * Fixed size and direct-mapped: a pid that collides replaces the older
 * entry, and entries outlive the process so late spans still resolve. */
#ifndef AR_DISCOVER_PROC_TABLE_H
#define AR_DISCOVER_PROC_TABLE_H

#include <stdint.h>

#include <agentrace/events.h>

struct proc_table;

struct proc_table *proc_table__new(void);
void proc_table__free(struct proc_table *t);
void proc_table__put(struct proc_table *t, const struct ar_proc_info *rec);
/* NULL when pid was never seen or its slot was reused. */
const struct ar_proc_info *proc_table__get(const struct proc_table *t, uint32_t pid);
/* The same for AR_EV_PROC_RUNTIME records. */
void proc_table__put_runtime(struct proc_table *t, const struct ar_proc_runtime *rec);
const struct ar_proc_runtime *proc_table__get_runtime(const struct proc_table *t, uint32_t pid);
/* Changes whenever any entry does: what a reader derived from an entry
 * stays right while this value stays. */
uint64_t proc_table__gen(const struct proc_table *t);

#endif
