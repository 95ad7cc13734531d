// SPDX-License-Identifier: MIT
/* The gate hold's userspace side (capture/gate_hold.c) on a real BPF hash
 * map shaped like bpf/gate_hold.bpf.h's gate_held, with real stopped
 * children standing for the processes the kernel stopped. Needs CAP_BPF
 * (root here and in CI); skipped without it, loudly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "capture/gate_hold.h"

#define T0 1000000000000ull /* a monotonic "now" of the tests */

static int map_fd = -1;
static volatile uint32_t on;
static volatile __u64 holds, failed;

static void setup(void)
{
	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "gate_held", 4, 8, 1024, NULL);
	if (map_fd < 0)
		cr_skip_test("no BPF map (%s): needs CAP_BPF", strerror(errno));
	on = 0;
	holds = failed = 0;
}

static void teardown(void)
{
	if (map_fd >= 0)
		close(map_fd);
}

/* A child stopped as the kernel would stop it, and its map entry (the
 * time of the stop; 0: the SIGSTOP is still being sent). */
static pid_t held_child(__u64 since)
{
	pid_t pid = fork();
	int st;

	cr_assert(pid >= 0);
	if (!pid) {
		/* gone with the test, also when an assert ends it early */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	cr_assert_eq(waitpid(pid, &st, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(st));
	cr_assert_eq(bpf_map_update_elem(map_fd, &(uint32_t){ (uint32_t)pid }, &since, BPF_NOEXIST), 0);
	holds++;
	return pid;
}

static bool continued(pid_t pid)
{
	int st;

	return waitpid(pid, &st, WCONTINUED | WNOHANG) == pid && WIFCONTINUED(st);
}

static bool in_map(pid_t pid)
{
	__u64 v;

	return bpf_map_lookup_elem(map_fd, &(uint32_t){ (uint32_t)pid }, &v) == 0;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TestSuite(gate_hold, .init = setup, .fini = teardown);

Test(gate_hold, continued_once_the_gate_is_attached_not_before)
{
	struct gate_hold *h = gate_hold__new(map_fd, &on, &holds, &failed);
	pid_t pid;

	cr_assert(h);
	cr_assert_eq(on, 1, "the kernel side is turned on");
	pid = held_child(T0);
	gate_hold__release(h, false, T0 + 1000000);
	usleep(20000);
	cr_assert_not(continued(pid), "continued before the tracepoints were attached");
	cr_assert(in_map(pid));
	gate_hold__release(h, true, T0 + 2000000);
	usleep(20000);
	cr_assert(continued(pid));
	cr_assert_not(in_map(pid), "its entry stays after it was continued");
	gate_hold__free(h);
	cr_assert_eq(on, 0);
	reap(pid);
}

Test(gate_hold, continued_after_the_deadline_without_the_gate)
{
	struct gate_hold *h = gate_hold__new(map_fd, &on, &holds, &failed);
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	pid_t pid;

	cr_assert(h);
	pid = held_child(T0);
	gate_hold__release(h, false, T0 + GATE_HOLD_MAX_NS - 1);
	usleep(20000);
	cr_assert_not(continued(pid));
	/* nothing new from the kernel, but one still waits: swept again */
	gate_hold__release(h, false, T0 + GATE_HOLD_MAX_NS);
	usleep(20000);
	cr_assert(continued(pid));
	f = open_memstream(&out, &len);
	gate_hold__print_stats(h, f);
	fclose(f);
	cr_assert(strstr(out, "stopped=1 continued=1 after_deadline=1 failed=0"), "%s", out);
	free(out);
	gate_hold__free(h);
	reap(pid);
}

Test(gate_hold, a_stop_still_being_sent_is_left_for_the_next_sweep)
{
	struct gate_hold *h = gate_hold__new(map_fd, &on, &holds, &failed);
	__u64 since = T0;
	pid_t pid;

	cr_assert(h);
	pid = held_child(0);
	gate_hold__release(h, true, T0);
	usleep(20000);
	cr_assert_not(continued(pid), "a SIGCONT before the SIGSTOP would leave it stopped");
	cr_assert(in_map(pid));
	/* the kernel stamps it after its SIGSTOP */
	cr_assert_eq(bpf_map_update_elem(map_fd, &(uint32_t){ (uint32_t)pid }, &since, BPF_EXIST), 0);
	gate_hold__release(h, true, T0 + 1000);
	usleep(20000);
	cr_assert(continued(pid));
	gate_hold__free(h);
	reap(pid);
}

Test(gate_hold, shutdown_continues_everyone)
{
	struct gate_hold *h = gate_hold__new(map_fd, &on, &holds, &failed);
	pid_t a, b;
	uint32_t key;

	cr_assert(h);
	a = held_child(T0);
	b = held_child(0); /* its record never read, its stamp never made */
	gate_hold__free(h);
	cr_assert_eq(on, 0, "the kernel side must be off before the last sweep");
	usleep(20000);
	cr_assert(continued(a));
	cr_assert(continued(b));
	cr_assert_neq(bpf_map_get_next_key(map_fd, NULL, &key), 0, "entries left behind");
	reap(a);
	reap(b);
}

Test(gate_hold, null_is_off)
{
	gate_hold__release(NULL, true, T0);
	gate_hold__print_stats(NULL, stderr);
	gate_hold__free(NULL);
}
