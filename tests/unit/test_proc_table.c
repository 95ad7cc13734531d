// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "discover/proc_table.h"

static struct ar_proc_info info(uint32_t pid, const char *exe)
{
	struct ar_proc_info r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = AR_EV_PROC_INFO;
	r.hdr.tgid = pid;
	strcpy(r.exe_path, exe);
	return r;
}

/* span_path keeps a stamped identity while the generation stays: every
 * put, of either record, must move it. */
Test(proc_table, gen_moves_with_every_put)
{
	struct proc_table *t = proc_table__new();
	struct ar_proc_info r = info(42, "/usr/bin/a");
	struct ar_proc_runtime rt;
	uint64_t g0, g1;

	cr_assert_not_null(t);
	g0 = proc_table__gen(t);
	proc_table__put(t, &r);
	g1 = proc_table__gen(t);
	cr_assert_neq(g0, g1);
	cr_assert_str_eq(proc_table__get(t, 42)->exe_path, "/usr/bin/a");

	memset(&rt, 0, sizeof(rt));
	rt.hdr.type = AR_EV_PROC_RUNTIME;
	rt.hdr.tgid = 42;
	strcpy(rt.runtime_name, "node");
	proc_table__put_runtime(t, &rt);
	cr_assert_neq(proc_table__gen(t), g1);
	cr_assert_str_eq(proc_table__get_runtime(t, 42)->runtime_name, "node");
	cr_assert_null(proc_table__get(t, 43));
	proc_table__free(t);
}
