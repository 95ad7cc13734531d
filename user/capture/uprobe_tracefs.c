// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "capture/uprobe_tracefs.h"
#include "common/log.h"

#define TRACEFS "/sys/kernel/tracing"
#define GROUP "agentrace"

/* Appends one command to uprobe_events. Returns 0 or -errno. */
static int uprobe_events_write(const char *cmd)
{
	int fd = open(TRACEFS "/uprobe_events", O_WRONLY | O_APPEND | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static int event_id(const char *event)
{
	char path[256], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), TRACEFS "/events/" GROUP "/%s/id", event);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? atoi(buf) : -ENOENT;
}

struct bpf_link *uprobe_tracefs__attach(struct bpf_program *prog, bool retprobe,
					const char *path, size_t off, int pid,
					char event[UPROBE_EVENT_MAX])
{
	static unsigned seq;
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr),
					.sample_period = 1, .wakeup_events = 1 };
	struct bpf_link *link;
	char cmd[600];
	int id, pfd, err;

	/* The command syntax is space separated: such paths cannot be named. */
	if (strchr(path, ' ') || strlen(path) > 480) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(event, UPROBE_EVENT_MAX, "ar_%d_%u", getpid(), seq++);
	snprintf(cmd, sizeof(cmd), "%c:" GROUP "/%s %s:0x%zx\n", retprobe ? 'r' : 'p', event,
		 path, off);
	err = uprobe_events_write(cmd);
	if (err)
		goto fail;
	id = event_id(event);
	if (id < 0) {
		err = id;
		goto remove;
	}
	attr.config = id;
	/* pid -1 with cpu 0: the program then runs for every process on every
	 * CPU, as for the syscall tracepoints. A pid > 0 makes the event
	 * per-task: the uprobe's consumer filter then installs breakpoints only
	 * in that process's address space (all its threads), and the event
	 * runs only the program attached to it, so every pid gets its own
	 * event name. */
	pfd = syscall(__NR_perf_event_open, &attr, pid > 0 ? pid : -1, pid > 0 ? -1 : 0, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = -errno;
		goto remove;
	}
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!link) {
		err = -errno;
		close(pfd);
		goto remove;
	}
	return link;
remove:
	uprobe_tracefs__remove(event);
fail:
	event[0] = 0;
	errno = -err;
	return NULL;
}

void uprobe_tracefs__remove(const char *event)
{
	char cmd[128];
	int err;

	if (!event[0])
		return;
	snprintf(cmd, sizeof(cmd), "-:" GROUP "/%s\n", event);
	err = uprobe_events_write(cmd);
	if (err)
		warn("failed to remove uprobe event %s: %s", event, strerror(-err));
}

void uprobe_tracefs__remove_stale(void)
{
	char line[1024];
	FILE *f = fopen(TRACEFS "/uprobe_events", "re");
	char names[64][UPROBE_EVENT_MAX];
	int n = 0;

	if (!f)
		return;
	/* Lines look like "p:agentrace/ar_1234_0 /path:0x...". */
	while (n < 64 && fgets(line, sizeof(line), f)) {
		char *ev = strstr(line, GROUP "/ar_");
		int pid;

		if (!ev)
			continue;
		ev += sizeof(GROUP);
		ev[strcspn(ev, " \n")] = 0;
		pid = atoi(ev + 3);
		if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
			continue;
		snprintf(names[n++], UPROBE_EVENT_MAX, "%s", ev);
	}
	fclose(f);
	for (int i = 0; i < n; i++)
		uprobe_tracefs__remove(names[i]);
}
