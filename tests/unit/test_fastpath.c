// SPDX-License-Identifier: MIT
/* The untargeted fast path (bpf/fastpath.bpf.h), run in the kernel:
 * tests/bpf/fastpath.bpf.c checks its caches against the maps they stand
 * for, then userspace inserts this process into targets and bumps
 * targets_gen as user/capture/probes.c does, and the program must see it.
 * Needs CAP_BPF and CAP_PERFMON (root here and in CI); skipped without
 * them, loudly. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/fastpath.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Maps the pages of buf's first and last byte into this process. */
static void touch(const char *buf, size_t n)
{
	(void)*(volatile const char *)buf;
	(void)*(volatile const char *)(buf + n - 1);
}

static int run_prog(struct fastpath_bpf *skel, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	skel->data->step = -1;
	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0,
		     "test run: %s", strerror(errno));
	return skel->data->step;
}

static int run(struct fastpath_bpf *skel)
{
	return run_prog(skel, skel->progs.fastpath);
}

Test(fastpath, caches_stand_for_the_maps_they_skip)
{
	static const char get[] = "GET /health HTTP/1.1", post[] = "POST /v1/chat HTTP/1.1";
	struct fastpath_bpf *skel;
	uint32_t tgid = getpid();
	uint8_t one = 1;
	int err, sock;

	libbpf_set_print(quiet);
	skel = fastpath_bpf__open();
	cr_assert(skel, "open: %s", strerror(errno));
	skel->rodata->targ_all = false;
	skel->rodata->bounded_bytes = 1024;
	skel->rodata->promote_first_write = true;
	err = fastpath_bpf__load(skel);
	/* a verifier rejection is -EACCES too: only skip without root */
	if ((err == -EPERM || err == -EACCES) && geteuid() != 0) {
		fastpath_bpf__destroy(skel);
		cr_skip_test("loading BPF needs CAP_BPF: %s", strerror(-err));
	}
	cr_assert_eq(err, 0, "load: %s", strerror(-err));
	sock = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(sock, 0, "socket: %s", strerror(errno));
	skel->data->sockfd = sock;
	/* bpf_probe_read_user cannot fault a page in: a syscall's buffer is
	 * always mapped (the caller just wrote it), these constants only once
	 * something reads them. Check 64 failed once in CI's ASan build, not
	 * reproduced since; an unmapped page of post is the likely cause. */
	touch(get, sizeof(get));
	touch(post, sizeof(post));
	skel->bss->get_buf = (uintptr_t)get;
	skel->bss->post_buf = (uintptr_t)post;
	cr_assert_eq(run(skel), 0,
		     "check %d failed (1-7 targets cache, 10-15 stash marks, 20-22 watch "
		     "count, 40-58 fd cache)",
		     skel->data->step);
	cr_assert_eq(run_prog(skel, skel->progs.client_write), 0,
		     "check %d failed (60-65 a skipped client's writes)", skel->data->step);
	close(sock);
	/* what probes.c's put_target does: insert, then bump */
	cr_assert_eq(bpf_map__update_elem(skel->maps.targets, &tgid, sizeof(tgid), &one,
					  sizeof(one), BPF_NOEXIST), 0);
	__atomic_fetch_add(&skel->bss->targets_gen, 1, __ATOMIC_SEQ_CST);
	skel->bss->phase = 1;
	cr_assert_eq(run(skel), 0, "a userspace insertion and bump were not seen (check %d)",
		     skel->data->step);
	cr_assert_eq(run_prog(skel, skel->progs.tls_settle), 0,
		     "check %d failed (70-80 a target's settled TLS socket)", skel->data->step);
	fastpath_bpf__destroy(skel);
}
