/* SPDX-License-Identifier: MIT */
/* What the options make a target, in words, for the startup log line:
 * everything (--trace-all), the named targets only (--pid/--comm/--cgroup
 * alone), agents (agent-first, the default), or the named targets and the
 * agents promoted beside them (selectors with --promote). */
#ifndef AR_CLI_TARGETING_H
#define AR_CLI_TARGETING_H

#include <stddef.h>

struct cli_opts;

/* Writes the description into buf (cap bytes, NUL-terminated, cut at cap).
 * Returns buf. */
const char *cli__describe_targets(const struct cli_opts *o, char *buf, size_t cap);

#endif
