// SPDX-License-Identifier: MIT
/* The hello hold's terminal check: tty_nr from /proc/PID/stat lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "discover/hello_hold.h"

Test(hello_hold, tty_nr_counts_fields_from_the_last_parenthesis)
{
	cr_assert_eq(hello_hold__tty_nr("4242 (python3) S 1 4242 4242 0 -1 4194560 312"), 0);
	cr_assert_eq(hello_hold__tty_nr("4242 (bash) S 1 4242 4242 34816 4300 4194304"), 34816);
	/* a comm with spaces and a ')' of its own */
	cr_assert_eq(hello_hold__tty_nr("77 (a) b (c)) R 1 77 77 34817 77 0"), 34817);
	cr_assert_eq(hello_hold__tty_nr("77 (x y) R 1 77 77 0 77 0"), 0);
}

Test(hello_hold, a_line_that_does_not_parse_is_minus_one)
{
	cr_assert_eq(hello_hold__tty_nr(NULL), -1);
	cr_assert_eq(hello_hold__tty_nr("no parenthesis here"), -1);
	cr_assert_eq(hello_hold__tty_nr("1 (init) S 0 1"), -1);
	cr_assert_eq(hello_hold__tty_nr("1 (init) S 0 1 1 x"), -1);
}

Test(hello_hold, this_process_line_parses)
{
	char line[512] = "";
	FILE *f = fopen("/proc/self/stat", "re");

	cr_assert(f);
	cr_assert(fgets(line, sizeof(line), f));
	fclose(f);
	cr_assert_geq(hello_hold__tty_nr(line), 0, "%s", line);
}
