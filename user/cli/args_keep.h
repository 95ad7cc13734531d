/* SPDX-License-Identifier: MIT */
/* The sampling and tool-contract options, an argp child of cli/args.c. */
#ifndef AR_CLI_ARGS_KEEP_H
#define AR_CLI_ARGS_KEEP_H

#include <argp.h>

extern const struct argp cli_keep_argp;

#endif
