// SPDX-License-Identifier: MIT
/* Container and pod identity from /proc/PID/cgroup text, in the formats
 * containerd, CRI-O and docker produce under the systemd and cgroupfs
 * drivers, on cgroup v2 and v1. */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "discover/cgroup_id.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "1f2e3d4c-5b6a-4789-8abc-def012345678"
#define UID_ "1f2e3d4c_5b6a_4789_8abc_def012345678"

struct parsed {
	char path[256], cid[80], pod[48];
	int rc;
};

static struct parsed parse(const char *text)
{
	struct parsed p;

	p.rc = cgroup_id__parse(text, p.path, sizeof(p.path), p.cid, sizeof(p.cid), p.pod,
				sizeof(p.pod));
	return p;
}

static void expect(const char *text, const char *cid, const char *pod)
{
	struct parsed p = parse(text);

	cr_assert_eq(p.rc, 0, "rc for %s", text);
	cr_assert_str_eq(p.cid, cid, "container id in %s", text);
	cr_assert_str_eq(p.pod, pod, "pod uid in %s", text);
}

Test(cgroup_id, containerd_systemd_v2)
{
	expect("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" CID ".scope\n", CID, UID);
}

Test(cgroup_id, containerd_cgroupfs_v2)
{
	expect("0::/kubepods/besteffort/pod" UID "/" CID "\n", CID, UID);
}

Test(cgroup_id, crio_systemd_v2)
{
	expect("0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" CID ".scope\n", CID, UID);
}

Test(cgroup_id, crio_cgroupfs_v2)
{
	expect("0::/kubepods/pod" UID "/crio-" CID "\n", CID, UID);
}

Test(cgroup_id, docker_systemd_v2)
{
	expect("0::/system.slice/docker-" CID ".scope\n", CID, "");
}

Test(cgroup_id, docker_cgroupfs_v1)
{
	expect("12:pids:/docker/" CID "\n11:memory:/docker/" CID "\n1:name=systemd:/docker/" CID
	       "\n", CID, "");
}

Test(cgroup_id, kubernetes_docker_v1_cgroupfs)
{
	expect("13:cpuset:/kubepods/burstable/pod" UID "/" CID "\n"
	       "1:name=systemd:/kubepods/burstable/pod" UID "/" CID "\n", CID, UID);
}

Test(cgroup_id, hybrid_v1_and_v2_lines)
{
	struct parsed p = parse("12:pids:/user.slice\n0::/kubepods.slice/kubepods-pod" UID_
				".slice/cri-containerd-" CID ".scope\n");

	cr_assert_str_eq(p.cid, CID);
	cr_assert_str_eq(p.pod, UID);
	cr_assert(strstr(p.path, "kubepods") != NULL, "v2 path wins: %s", p.path);
}

Test(cgroup_id, host_process_has_no_ids)
{
	expect("0::/user.slice/user-0.slice/session-1.scope\n", "", "");
}

Test(cgroup_id, not_hex_or_wrong_length_is_no_id)
{
	expect("0::/docker/" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n",
	       "", "");
	expect("0::/docker/0123456789abcdef\n", "", "");
	expect("0::/kubepods/podnot-a-uid/" CID "\n", CID, "");
}

Test(cgroup_id, garbage_is_rejected)
{
	cr_assert_eq(parse("").rc, -EINVAL);
	cr_assert_eq(parse("no colons here\n").rc, -EINVAL);
}

Test(cgroup_id, qos_class)
{
	cr_assert_str_eq(cgroup_id__qos("/kubepods.slice/kubepods-burstable.slice/x"), "Burstable");
	cr_assert_str_eq(cgroup_id__qos("/kubepods/besteffort/pod" UID "/" CID), "BestEffort");
	cr_assert_str_eq(cgroup_id__qos("/kubepods/pod" UID "/" CID), "Guaranteed");
	cr_assert_null(cgroup_id__qos("/system.slice/docker-" CID ".scope"));
}
