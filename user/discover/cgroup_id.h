/* SPDX-License-Identifier: MIT */
/* Container and pod identity from /proc/PID/cgroup: containerd, CRI-O and
 * docker path formats, systemd and cgroupfs drivers, cgroup v2 and v1. */
#ifndef AR_DISCOVER_CGROUP_ID_H
#define AR_DISCOVER_CGROUP_ID_H

#include <stddef.h>

/* Parses the text of /proc/PID/cgroup. Fills path with the v2 path (or the
 * v1 path that names a container), container_id with the 64-hex id and
 * pod_uid with the dashed pod UID; each is "" when not found. Returns 0, or
 * -EINVAL when no usable line exists. */
int cgroup_id__parse(const char *text, char *path, size_t path_cap,
		     char *container_id, size_t cid_cap, char *pod_uid, size_t pod_cap);

/* Kubernetes QoS class from a cgroup path: "Guaranteed", "Burstable",
 * "BestEffort", or NULL when the path is not under kubepods. */
const char *cgroup_id__qos(const char *path);

#endif
