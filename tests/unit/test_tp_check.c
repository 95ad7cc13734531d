// SPDX-License-Identifier: MIT
/* tp_check__kernel: the tracepoints the capture needs are found in this
 * kernel's BTF, and a program on one that does not exist is refused by
 * name before any load. */
#include <criterion/criterion.h>
#include <errno.h>

#include "capture.skel.h"
#include "capture/tp_check.h"
#include "tests/tp_missing.skel.h"

Test(tp_check, the_capture_object_fits_this_kernel)
{
	struct capture_bpf *skel = capture_bpf__open();

	cr_assert(skel, "open: %d", errno);
	cr_expect_eq(tp_check__kernel(skel->obj), 0,
		     "a tracepoint of capture.bpf.o is missing from this kernel's BTF");
	capture_bpf__destroy(skel);
}

Test(tp_check, a_missing_tracepoint_is_refused)
{
	struct tp_missing_bpf *skel = tp_missing_bpf__open();

	cr_assert(skel, "open: %d", errno);
	cr_expect_eq(tp_check__kernel(skel->obj), -ENOTSUP);
	tp_missing_bpf__destroy(skel);
}
