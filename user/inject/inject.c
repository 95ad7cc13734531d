// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mntent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "inject.skel.h"
#include "inject/inject.h"
#include "capture/tp_gate.h"

/* The inbound side's syscall tracepoints (bpf/serve.bpf.h). */
#define MAX_TP_LINKS 16

struct inject {
	struct inject_bpf *skel;
	struct bpf_link *sockops;
	struct bpf_link *tp[MAX_TP_LINKS];
	int cgroup_fd;
	bool msg_attached;
};

static const char *const stat_names[AR_INJ_STAT_MAX] = {
	[AR_INJ_STAT_SOCKETS] = "sockets",
	[AR_INJ_STAT_SOCKHASH_FULL] = "sockets_missed",
	[AR_INJ_STAT_INJECTED] = "injected",
	[AR_INJ_STAT_PRESENT] = "had_traceparent",
	[AR_INJ_STAT_FAILED] = "failed",
	[AR_INJ_STAT_NOT_HTTP] = "not_http",
	[AR_INJ_STAT_LOST_SYNC] = "lost_sync",
	[AR_INJ_STAT_WITH_CTX] = "with_context",
	[AR_INJ_STAT_DROP_RINGBUF] = "drop_ringbuf",
	[AR_INJ_STAT_SERVED] = "served",
	[AR_INJ_STAT_SERVED_TP] = "served_traceparent",
	[AR_INJ_STAT_AMBIGUOUS] = "ambiguous",
	[AR_INJ_STAT_SERVE_LOST] = "serve_lost",
	[AR_INJ_STAT_SERVE_FULL] = "serve_missed",
};

/* The cgroup v2 mount point (hybrid hosts mount it at .../unified). The
 * last one listed: a pod's hostPath mount of the host's tree lies over
 * the runtime's namespaced one. */
static int cgroup2_root(char *out, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(out, len, "%s", m->mnt_dir);
			err = 0;
		}
	endmntent(f);
	return err;
}

/* Every tracepoint program of the object: accept, read, write, close. */
static int attach_serve(struct inject *in)
{
	struct bpf_program *prog;
	int n = 0, err;

	bpf_object__for_each_program(prog, in->skel->obj) {
		if (bpf_program__type(prog) != BPF_PROG_TYPE_TRACEPOINT &&
		    bpf_program__type(prog) != BPF_PROG_TYPE_TRACING)
			continue;
		if (n == MAX_TP_LINKS)
			return -E2BIG;
		in->tp[n] = bpf_program__attach(prog);
		if (!in->tp[n]) {
			err = -errno;
			warn("--inject-traceparent: failed to attach %s: %s",
			     bpf_program__name(prog), strerror(-err));
			return err;
		}
		n++;
	}
	return 0;
}

int inject__open(const struct inject_cfg *cfg, struct inject **out)
{
	struct inject *in = calloc(1, sizeof(*in));
	char root[256];
	const char *cg = cfg->cgroup;
	int err;

	if (!in)
		return -ENOMEM;
	in->cgroup_fd = -1;
	if (!cg) {
		err = cgroup2_root(root, sizeof(root));
		if (err) {
			warn("--inject-traceparent: no cgroup v2 mount: %s", strerror(-err));
			goto cleanup;
		}
		cg = root;
	}
	in->skel = inject_bpf__open();
	if (!in->skel) {
		err = -errno;
		goto cleanup;
	}
	in->skel->rodata->targ_all = cfg->targ_all;
	in->skel->rodata->self_tgid = cfg->self_tgid;
	err = bpf_map__reuse_fd(in->skel->maps.events, cfg->ringbuf_fd);
	if (!err)
		err = bpf_map__reuse_fd(in->skel->maps.targets, cfg->targets_fd);
	if (!err)
		err = bpf_map__reuse_fd(in->skel->maps.sk_marks, cfg->sk_marks_fd);
	if (err)
		goto cleanup;
	err = inject_bpf__load(in->skel);
	if (err) {
		warn("--inject-traceparent: failed to load sockops/sk_msg programs: %s%s",
		     strerror(-err), err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		goto cleanup;
	}
	err = bpf_prog_attach(bpf_program__fd(in->skel->progs.inject_msg),
			      bpf_map__fd(in->skel->maps.inject_socks), BPF_SK_MSG_VERDICT, 0);
	if (err) {
		err = -errno;
		warn("--inject-traceparent: failed to attach sk_msg: %s", strerror(-err));
		goto cleanup;
	}
	in->msg_attached = true;
	in->cgroup_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in->cgroup_fd < 0) {
		err = -errno;
		warn("--inject-traceparent: failed to open %s: %s", cg, strerror(-err));
		goto cleanup;
	}
	in->sockops = bpf_program__attach_cgroup(in->skel->progs.inject_sockops, in->cgroup_fd);
	if (!in->sockops) {
		err = -errno;
		warn("--inject-traceparent: failed to attach sockops to %s: %s", cg, strerror(-err));
		goto cleanup;
	}
	/* gated: on each syscall tracepoint after capture's programs, whose
	 * data record must come before the serve record (trace/context.c) */
	err = cfg->gate ? tp_gate__add(cfg->gate, in->skel->obj) : attach_serve(in);
	if (err)
		goto cleanup;
	info("injecting traceparent into plaintext HTTP/1.1 requests (sockets connected from now on, cgroup %s)",
	     cg);
	*out = in;
	return 0;
cleanup:
	inject__close(in);
	return err;
}

void inject__close(struct inject *in)
{
	if (!in)
		return;
	for (int i = 0; i < MAX_TP_LINKS; i++)
		bpf_link__destroy(in->tp[i]);
	bpf_link__destroy(in->sockops);
	if (in->msg_attached)
		bpf_prog_detach2(bpf_program__fd(in->skel->progs.inject_msg),
				 bpf_map__fd(in->skel->maps.inject_socks), BPF_SK_MSG_VERDICT);
	if (in->cgroup_fd >= 0)
		close(in->cgroup_fd);
	inject_bpf__destroy(in->skel);
	free(in);
}

int inject__set_ctx(struct inject *in, uint32_t tid, const struct ar_inject_ctx *ctx)
{
	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.inject_ctx), &tid, ctx, BPF_ANY))
		return -errno;
	return 0;
}

int inject__clear_ctx(struct inject *in, uint32_t tid)
{
	if (bpf_map_delete_elem(bpf_map__fd(in->skel->maps.inject_ctx), &tid))
		return -errno;
	return 0;
}

int inject__stats(const struct inject *in, uint64_t out[AR_INJ_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < AR_INJ_STAT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.inject_stats), &k, v)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
	free(v);
	return err;
}

void inject__print_stats(const struct inject *in, FILE *f)
{
	uint64_t s[AR_INJ_STAT_MAX];

	if (!in || inject__stats(in, s))
		return;
	fprintf(f, "inject:");
	for (int i = 0; i < AR_INJ_STAT_MAX; i++)
		fprintf(f, " %s=%" PRIu64, stat_names[i], s[i]);
	fputc('\n', f);
}
