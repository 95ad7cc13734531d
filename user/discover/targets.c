// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/probes.h"
#include "discover/proc_info.h"
#include "discover/proc_maps.h"
#include "discover/targets.h"

struct seed_ctx {
	struct probes *p;
	const char *const *comms;
	size_t n_comms;
	const uint64_t *cgroups;
	size_t n_cgroups;
	int marked;
};

/* cgroup v2 id of pid: the inode of its directory under /sys/fs/cgroup. */
static uint64_t pid_cgroup_id(uint32_t pid)
{
	char path[600], line[512];
	struct stat st;
	FILE *f;
	uint64_t id = 0;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s", line + 3);
		if (stat(path, &st) == 0)
			id = st.st_ino;
	}
	fclose(f);
	return id;
}

static int seed_one(uint32_t pid, void *arg)
{
	struct seed_ctx *c = arg;
	char comm[32] = "";
	bool match = false;

	proc_info__comm(pid, comm, sizeof(comm));
	for (size_t i = 0; i < c->n_comms && !match; i++)
		match = strcmp(comm, c->comms[i]) == 0;
	if (!match && c->n_cgroups) {
		uint64_t id = pid_cgroup_id(pid);

		for (size_t i = 0; i < c->n_cgroups && !match; i++)
			match = id && id == c->cgroups[i];
	}
	if (match && probes__add_target(c->p, pid) == 0)
		c->marked++;
	return 0;
}

int targets__seed(struct probes *p, const char *const *comms, size_t n_comms,
		  const uint64_t *cgroups, size_t n_cgroups)
{
	struct seed_ctx c = { p, comms, n_comms, cgroups, n_cgroups, 0 };
	int err;

	if (!n_comms && !n_cgroups)
		return 0;
	err = proc_maps__for_each_pid(seed_one, &c);
	return err < 0 ? err : c.marked;
}
