// SPDX-License-Identifier: MIT
#include <string.h>

#include "metrics/levels.h"

static const struct {
	const char *stage, *key;
} levels[] = {
	{ "conns", "live" },
	{ "conns", "held_bytes" },
	{ "export", "queued" },
	{ "sample", "held_traces" },
	{ "sample", "held_spans" },
	{ "sample", "held_bytes" },
	{ "discover", "tls_files_attached" }, /* files (or pid, file pairs) probed now */
	{ "tracepoints", "attached" },        /* lazy syscall tracepoints on (1) or off */
	{ "tracepoints", "attach_us_last" },
	{ "tracepoints", "attach_us_max" },
	{ "tracepoints", "lag_us_last" },
	{ "tracepoints", "lag_us_max" },
};

bool stats_level__is(const char *stage, const char *key)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(levels[i].stage, stage) && !strcmp(levels[i].key, key))
			return true;
	return false;
}
