// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "capture/tp_check.h"
#include "common/log.h"

#define TP_BTF_SEC "tp_btf/"

int tp_check__kernel(struct bpf_object *obj)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct bpf_program *prog;
	char name[128];
	int err = 0;

	if (!vmlinux) {
		err = -errno;
		warn("cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): %s", strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);

		if (strncmp(sec, TP_BTF_SEC, strlen(TP_BTF_SEC)) || !bpf_program__autoload(prog))
			continue;
		/* each tracepoint has a btf_trace_<name> typedef */
		snprintf(name, sizeof(name), "btf_trace_%s", sec + strlen(TP_BTF_SEC));
		if (btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) >= 0)
			continue;
		warn("this kernel has no %s tracepoint, which agentrace captures at "
		     "(sock_send_length and sock_recv_length need Linux 6.3 or later)",
		     sec + strlen(TP_BTF_SEC));
		err = -ENOTSUP;
	}
	btf__free(vmlinux);
	return err;
}
