// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/caps.h"
#include "common/readfile.h"
#include "discover/hello_hold.h"

long long hello_hold__tty_nr(const char *stat)
{
	/* "pid (comm) state ppid pgrp session tty_nr ...": comm may hold
	 * spaces and parentheses, so fields count from the last ')' */
	const char *p = stat ? strrchr(stat, ')') : NULL;
	char *end;
	long long v;

	if (!p)
		return -1;
	p++;
	for (int field = 0; field < 5; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
		if (field == 4)
			break;
		while (*p && *p != ' ')
			p++;
	}
	v = strtoll(p, &end, 10);
	return end == p ? -1 : v;
}

/* Unknown (unreadable, or does not parse) counts as a terminal: such a
 * process is not stopped. */
static bool has_tty(uint32_t pid)
{
	char path[64], line[512];

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (readfile__small(path, line, sizeof(line)) <= 0)
		return true;
	return hello_hold__tty_nr(line) != 0;
}

bool hello_hold__stop(uint32_t pid)
{
	static int off = -1;

	if (off < 0)
		off = getenv("AGENTRACE_NO_HELLO_HOLD") || !caps__have(CAPS_NR_KILL);
	if (off || has_tty(pid))
		return false;
	return kill((pid_t)pid, SIGSTOP) == 0;
}
