// SPDX-License-Identifier: MIT
/* The targeting flags of issue #13: --bounded-bytes reaches cli_opts with
 * its default, --trace-all refuses selectors and --promote, and agent-first
 * (promote) is the default without a selector. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/targeting.h"
#include "run_child.h"

static void parse_argv(void *arg)
{
	char **argv = arg;
	struct cli_opts o;
	int argc = 0;

	while (argv[argc])
		argc++;
	cli__parse(argc, argv, &o);
}

Test(args_targeting, bounded_bytes_default_and_value)
{
	char *def[] = { (char *)"agentrace", (char *)"--promote", NULL };
	char *set[] = { (char *)"agentrace", (char *)"--promote", (char *)"--bounded-bytes",
			(char *)"512", NULL };
	struct cli_opts o;

	cli__parse(2, def, &o);
	cr_assert(o.promote);
	cr_assert_eq(o.bounded_bytes, 4096);
	cr_assert_not(o.trace_all);
	cli__parse(4, set, &o);
	cr_assert_eq(o.bounded_bytes, 512);
}

Test(args_targeting, trace_all_takes_no_selector)
{
	static const char *const other[] = { "--promote", "--comm", "--pid" };
	static const char *const value[] = { NULL, "python3", "1" };
	char err[4096];

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		char *argv[] = { (char *)"agentrace", (char *)"--trace-all", (char *)other[i],
				 (char *)value[i], NULL };

		cr_assert_eq(run_child(parse_argv, argv, err, sizeof(err)), 64, "%s accepted",
			     other[i]);
		cr_assert(strstr(err, "--trace-all"), "%s: %s", other[i], err);
	}
	{
		char *argv[] = { (char *)"agentrace", (char *)"--bounded-bytes", (char *)"70000",
				 NULL };

		cr_assert_eq(run_child(parse_argv, argv, err, sizeof(err)), 64);
		cr_assert(strstr(err, "--bounded-bytes"), "%s", err);
	}
}

/* No flag at all is agent-first; --trace-all is the only way to copy every
 * process whole; a selector alone names the only targets (no promotion)
 * unless --promote is given beside it. */
Test(args_targeting, agent_first_is_the_default)
{
	char *none[] = { (char *)"agentrace", NULL };
	char *rec[] = { (char *)"agentrace", (char *)"record", (char *)"-o", (char *)"x", NULL };
	char *all[] = { (char *)"agentrace", (char *)"--trace-all", NULL };
	char *comm[] = { (char *)"agentrace", (char *)"--comm", (char *)"python3", NULL };
	char *both[] = { (char *)"agentrace", (char *)"--pid", (char *)"1", (char *)"--promote",
			 NULL };
	struct cli_opts o;

	cli__parse(1, none, &o);
	cr_assert(o.promote && !o.trace_all);
	cli__parse(4, rec, &o);
	cr_assert(o.promote, "record defaults to agent-first too");
	cli__parse(2, all, &o);
	cr_assert(!o.promote && o.trace_all);
	cli__parse(3, comm, &o);
	cr_assert_not(o.promote, "--comm alone promoted");
	cli__parse(4, both, &o);
	cr_assert(o.promote && o.n_pids == 1);
}

/* Every repeatable selector keeps each value given (a hand run once
 * seemed to honour only the second --comm; it was the first call lost to
 * the scoped-probe race, bpf/exec_hold.bpf.h). */
Test(args_targeting, repeated_selectors_keep_every_value)
{
	char *argv[] = { (char *)"agentrace", (char *)"--comm", (char *)"curl", (char *)"-c",
			 (char *)"node", (char *)"--comm=python3", (char *)"--pid", (char *)"7",
			 (char *)"-p", (char *)"8", (char *)"--cgroup", (char *)"/", (char *)"--cgroup",
			 (char *)"/tmp", (char *)"--llm-host", (char *)"a.example", (char *)"--llm-host",
			 (char *)"*.b.example", (char *)"--promote", NULL };
	struct cli_opts o;

	cli__parse(sizeof(argv) / sizeof(argv[0]) - 1, argv, &o);
	cr_assert_eq(o.n_comms, 3);
	cr_assert_str_eq(o.comms[0], "curl");
	cr_assert_str_eq(o.comms[1], "node");
	cr_assert_str_eq(o.comms[2], "python3");
	cr_assert_eq(o.n_pids, 2);
	cr_assert(o.pids[0] == 7 && o.pids[1] == 8);
	cr_assert_eq(o.n_cgroups, 2);
	cr_assert_neq(o.cgroups[0], o.cgroups[1], "two directories, two inodes");
	cr_assert_eq(o.n_llm_hosts, 2);
	cr_assert_str_eq(o.llm_hosts[0], "a.example");
	cr_assert_str_eq(o.llm_hosts[1], "*.b.example");
	cr_assert(o.promote);
}

/* The startup line says exactly what is traced, in each of the four modes. */
Test(args_targeting, mode_line_says_what_is_traced)
{
	char *none[] = { (char *)"agentrace", NULL };
	char *all[] = { (char *)"agentrace", (char *)"--trace-all", NULL };
	char *named[] = { (char *)"agentrace", (char *)"--comm", (char *)"curl", (char *)"--pid",
			  (char *)"9", NULL };
	char *both[] = { (char *)"agentrace", (char *)"--comm", (char *)"curl", (char *)"--comm",
			 (char *)"node", (char *)"--promote", NULL };
	struct cli_opts o;
	char buf[512];

	cli__parse(1, none, &o);
	cli__describe_targets(&o, buf, sizeof(buf));
	cr_assert(strstr(buf, "agents promoted") == buf, "%s", buf);
	cr_assert(strstr(buf, "bounded to 4096 bytes"), "%s", buf);
	cli__parse(2, all, &o);
	cr_assert_str_eq(cli__describe_targets(&o, buf, sizeof(buf)),
			 "every process, whole (--trace-all)");
	cli__parse(5, named, &o);
	cr_assert_str_eq(cli__describe_targets(&o, buf, sizeof(buf)),
			 "named targets (--comm curl --pid 9) only: no promotion, other "
			 "processes are not copied");
	cli__parse(6, both, &o);
	cli__describe_targets(&o, buf, sizeof(buf));
	cr_assert(strstr(buf, "named targets (--comm curl --comm node) and agents promoted") ==
		  buf, "%s", buf);
	cli__describe_targets(&o, buf, 20);
	cr_assert_eq(strlen(buf), 19, "cut at the buffer: %s", buf);
}
