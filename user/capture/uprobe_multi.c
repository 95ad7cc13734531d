// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "capture/uprobe_multi.h"

#define CMD_BPF_LINK_CREATE 28          /* enum bpf_cmd */
#define UPROBE_MULTI_RETURN (1u << 0)   /* BPF_F_UPROBE_MULTI_RETURN */

/* union bpf_attr's link_create member with its uprobe_multi arm (uapi
 * linux/bpf.h, 6.6); Debian 12's headers predate it. */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
	uint32_t pad;
};
_Static_assert(sizeof(struct link_create_uprobe_multi) == 64, "uprobe_multi link attr");

int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offs, size_t n,
			 bool ret, int pid)
{
	struct link_create_uprobe_multi attr;
	int fd;

	if (!n)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offs;
	attr.cnt = n;
	attr.multi_flags = ret ? UPROBE_MULTI_RETURN : 0;
	attr.pid = pid > 0 ? pid : 0;
	fd = syscall(__NR_bpf, CMD_BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

bool uprobe_multi__supported(void)
{
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = UPROBE_MULTI_ATTACH_TYPE);
	static int known = -1;
	uint64_t off = 0;
	int prog, fd;

	if (known >= 0)
		return known;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "ar_multi_probe", "GPL", ret0, 2, &opts);
	if (prog < 0)
		return (known = 0);
	/* pid_max is at most 4194304: this pid never exists. */
	fd = uprobe_multi__attach(prog, "/proc/self/exe", &off, 1, false, 0x7ffffff0);
	if (fd >= 0)
		close(fd);
	close(prog);
	known = fd == -ESRCH;
	return known;
}
