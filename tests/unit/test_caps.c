// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>

#include "common/caps.h"

#define B(n) (1ull << (n))

Test(caps_status, parses_cap_eff_line)
{
	const char *st = "Name:\tagentrace\nCapInh:\t0000000000000000\n"
			 "CapPrm:\t000000c000080004\nCapEff:\t000000c000080004\n"
			 "CapBnd:\t000001ffffffffff\n";
	uint64_t eff = 0;

	cr_assert_eq(caps__parse_status(st, &eff), 0);
	cr_assert_eq(eff, 0xc000080004ull);
}

Test(caps_status, first_line_and_no_newline)
{
	uint64_t eff = 7;

	cr_assert_eq(caps__parse_status("CapEff:\t0000000000200000", &eff), 0);
	cr_assert_eq(eff, B(21));
}

Test(caps_status, missing_or_malformed_leaves_value)
{
	uint64_t eff = 7;

	cr_assert_eq(caps__parse_status("Name:\tx\nCapPrm:\t0\n", &eff), -ENOENT);
	cr_assert_eq(caps__parse_status("CapEff:\tzz\n", &eff), -ENOENT);
	cr_assert_eq(caps__parse_status("CapEff:\t12g4\n", &eff), -ENOENT);
	cr_assert_eq(caps__parse_status("XCapEff:\t1\n", &eff), -ENOENT);
	cr_assert_eq(caps__parse_status("", &eff), -ENOENT);
	cr_assert_eq(eff, 7);
}

Test(caps_eval, the_four_capabilities)
{
	struct caps_report r = { .kernel_has_bpf_caps = true,
				 .eff = B(39) | B(38) | B(19) | B(2) };

	caps__evaluate(&r);
	cr_assert_eq(r.missing, 0);
	cr_assert_eq(r.have, CAPS_ALL);
	cr_assert_not(r.sys_admin);
	cr_assert_not(caps__fatal(&r));
}

Test(caps_eval, sys_admin_implies_bpf_and_perfmon_only)
{
	struct caps_report r = { .kernel_has_bpf_caps = true, .eff = B(21) };

	caps__evaluate(&r);
	cr_assert(r.sys_admin);
	cr_assert_eq(r.have, CAPS_BPF | CAPS_PERFMON);
	cr_assert_eq(r.missing, CAPS_SYS_PTRACE | CAPS_DAC_READ_SEARCH);
	cr_assert_not(caps__fatal(&r));
}

Test(caps_eval, old_kernel_ignores_bpf_bits)
{
	/* Before 5.8 bits 38/39 mean nothing: only CAP_SYS_ADMIN loads BPF. */
	struct caps_report r = { .kernel_has_bpf_caps = false,
				 .eff = B(39) | B(38) | B(19) | B(2) };

	caps__evaluate(&r);
	cr_assert_eq(r.missing, CAPS_BPF | CAPS_PERFMON);
	cr_assert(caps__fatal(&r));
}

Test(caps_eval, each_missing_one_is_reported)
{
	const int nr[] = { 39, 38, 19, 2 };
	const unsigned bit[] = { CAPS_BPF, CAPS_PERFMON, CAPS_SYS_PTRACE, CAPS_DAC_READ_SEARCH };

	for (int i = 0; i < 4; i++) {
		struct caps_report r = { .kernel_has_bpf_caps = true,
					 .eff = (B(39) | B(38) | B(19) | B(2)) & ~B(nr[i]) };

		caps__evaluate(&r);
		cr_assert_eq(r.missing, bit[i], "dropping cap %d", nr[i]);
		cr_assert_eq(caps__fatal(&r), i < 2, "fatal for cap %d", nr[i]);
	}
}

Test(caps_eval, dac_override_counts_for_reading)
{
	struct caps_report r = { .kernel_has_bpf_caps = true, .eff = B(39) | B(38) | B(1) };

	caps__evaluate(&r);
	cr_assert_eq(r.missing, CAPS_SYS_PTRACE);
}

Test(caps_eval, user_namespace_is_fatal)
{
	struct caps_report r = { .kernel_has_bpf_caps = true, .eff = ~0ull, .user_ns = true };

	caps__evaluate(&r);
	cr_assert_eq(r.missing, 0);
	cr_assert(caps__fatal(&r));
}
