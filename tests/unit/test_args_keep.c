// SPDX-License-Identifier: MIT
/* The sampling flags: values reach cli_opts, bad ones exit with a message
 * naming the flag. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "run_child.h"

static void parse(struct cli_opts *o, const char *flag, const char *value)
{
	char *argv[] = { (char *)"agentrace", (char *)flag, (char *)value, NULL };

	cli__parse(3, argv, o);
}

Test(args_keep, thresholds_as_flags)
{
	struct cli_opts o;

	parse(&o, "--sample-token-budget", "5000");
	cr_assert_eq(o.sample_token_budget, 5000);
	cr_assert_eq(o.sample_slow_k, 0, "not given");
	parse(&o, "--sample-slow-k", "2.5");
	cr_assert_float_eq(o.sample_slow_k, 2.5, 1e-9);
	cr_assert_eq(o.sample_token_budget, 0, "not given");
}

static void parse_flag(void *arg)
{
	const char *const *fv = arg;
	struct cli_opts o;

	parse(&o, fv[0], fv[1]);
}

Test(args_keep, bad_thresholds_are_refused_by_name)
{
	static const char *const bad[][2] = {
		{ "--sample-token-budget", "0" }, { "--sample-token-budget", "10k" },
		{ "--sample-slow-k", "0.5" }, { "--sample-slow-k", "nan" },
		{ "--sample-rate", "1.5" },
	};
	char err[4096];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(run_child(parse_flag, (void *)bad[i], err, sizeof(err)), 64,
			     "%s %s accepted", bad[i][0], bad[i][1]);
		cr_assert(strstr(err, bad[i][0]), "%s %s: %s", bad[i][0], bad[i][1], err);
	}
}
