/* SPDX-License-Identifier: MIT */
/*
 * `--config FILE`: a YAML map whose keys are the long options (a
 * repeatable option takes a list, a flag a boolean) plus an `otel:` map of
 * OTEL_* variables. Options are applied through the same argp parser as
 * flags, so an option added to the table works in the file at once.
 * Precedence: flags, then environment, then file, then defaults.
 */
#ifndef AR_CLI_CONFIG_FILE_H
#define AR_CLI_CONFIG_FILE_H

#include <argp.h>
#include <stdio.h>

/* Returns the FILE of the first --config on argv[1..argc), or NULL. */
const char *config_file__find(int argc, char **argv);

/*
 * Applies path to input through argp's parser, skipping every option that
 * argv also sets (flags win; a repeatable option's flags replace the
 * file's list). `otel:` entries are setenv()ed unless already in the
 * environment (env wins). Unknown keys, wrong types, bad values and YAML
 * errors are written to err as "FILE:LINE: KEY: reason"; returns 0,
 * -EINVAL on those, or -errno if path cannot be read. Strings the parser
 * keeps stay allocated until config_file__release().
 */
int config_file__apply(const char *path, const struct argp *argp, int argc, char **argv,
		       void *input, FILE *err);

/* Frees the strings every apply kept; the options that point at them die too. */
void config_file__release(void);

#endif
