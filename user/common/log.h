/* SPDX-License-Identifier: MIT */
/* One error reporter for the whole daemon: lowercase messages to stderr. */
#ifndef AR_LOG_H
#define AR_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Messages above this level are discarded. Default LOG_INFO. */
void log__set_level(enum log_level lvl);
enum log_level log__level(void);

void log__msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define warn(...) log__msg(LOG_WARN, __VA_ARGS__)
#define info(...) log__msg(LOG_INFO, __VA_ARGS__)
#define debug(...)                                                  \
	do {                                                        \
		if (log__level() >= LOG_DEBUG)                      \
			log__msg(LOG_DEBUG, __VA_ARGS__);           \
	} while (0)

#endif
