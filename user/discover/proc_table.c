// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "discover/proc_table.h"

#define PROC_SLOTS 4096 /* ~3.8 MiB */

struct proc_table {
	struct ar_proc_info slot[PROC_SLOTS];
	struct ar_proc_runtime rt[PROC_SLOTS]; /* 512 KiB */
	uint64_t gen; /* bumped by every put */
};

struct proc_table *proc_table__new(void)
{
	return calloc(1, sizeof(struct proc_table));
}

void proc_table__free(struct proc_table *t)
{
	free(t);
}

void proc_table__put(struct proc_table *t, const struct ar_proc_info *rec)
{
	struct ar_proc_info *s = &t->slot[rec->hdr.tgid % PROC_SLOTS];

	t->gen++;
	*s = *rec;
	/* Records from a capture file are not trusted to be terminated. */
	s->comm[sizeof(s->comm) - 1] = 0;
	s->exe_path[sizeof(s->exe_path) - 1] = 0;
	s->service_name[sizeof(s->service_name) - 1] = 0;
	s->container_id[sizeof(s->container_id) - 1] = 0;
	s->pod_uid[sizeof(s->pod_uid) - 1] = 0;
	s->cgroup_path[sizeof(s->cgroup_path) - 1] = 0;
}

const struct ar_proc_info *proc_table__get(const struct proc_table *t, uint32_t pid)
{
	const struct ar_proc_info *s = &t->slot[pid % PROC_SLOTS];

	return s->hdr.type == AR_EV_PROC_INFO && s->hdr.tgid == pid ? s : NULL;
}

void proc_table__put_runtime(struct proc_table *t, const struct ar_proc_runtime *rec)
{
	struct ar_proc_runtime *s = &t->rt[rec->hdr.tgid % PROC_SLOTS];

	t->gen++;
	*s = *rec;
	s->owner[sizeof(s->owner) - 1] = 0;
	s->runtime_name[sizeof(s->runtime_name) - 1] = 0;
	s->runtime_version[sizeof(s->runtime_version) - 1] = 0;
}

const struct ar_proc_runtime *proc_table__get_runtime(const struct proc_table *t, uint32_t pid)
{
	const struct ar_proc_runtime *s = &t->rt[pid % PROC_SLOTS];

	return s->hdr.type == AR_EV_PROC_RUNTIME && s->hdr.tgid == pid ? s : NULL;
}

uint64_t proc_table__gen(const struct proc_table *t)
{
	return t->gen;
}
