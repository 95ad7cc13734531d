// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "common/log.h"

static enum log_level cur_level = LOG_INFO;

void log__set_level(enum log_level lvl) { cur_level = lvl; }

enum log_level log__level(void) { return cur_level; }

void log__msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	va_list ap;

	if (lvl > cur_level)
		return;
	fprintf(stderr, "agentrace: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
