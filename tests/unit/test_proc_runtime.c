// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "discover/proc_runtime.h"

static struct ar_proc_runtime from_exe(const char *path, int want)
{
	struct ar_proc_runtime r;

	memset(&r, 0, sizeof(r));
	cr_assert_eq(proc_runtime__from_exe(path, &r), want, "%s", path);
	return r;
}

Test(proc_runtime, python_and_node_from_exe)
{
	struct ar_proc_runtime r;

	r = from_exe("/usr/bin/python3.11", 0);
	cr_assert_str_eq(r.runtime_name, "cpython");
	cr_assert_str_eq(r.runtime_version, "3.11");
	r = from_exe("/usr/bin/python3", 0);
	cr_assert_str_eq(r.runtime_name, "cpython");
	cr_assert_str_eq(r.runtime_version, "", "python3 names no minor version");
	r = from_exe("/home/u/.nvm/versions/node/v20.11.1/bin/node", 0);
	cr_assert_str_eq(r.runtime_name, "nodejs");
	cr_assert_str_eq(r.runtime_version, "20.11.1");
	r = from_exe("/opt/node-v18.19.0-linux-x64/bin/node", 0);
	cr_assert_str_eq(r.runtime_version, "18.19.0");
	r = from_exe("/usr/bin/node", 0);
	cr_assert_str_eq(r.runtime_name, "nodejs");
	cr_assert_str_eq(r.runtime_version, "");
	from_exe("/usr/bin/pythonista", -ENOENT);
	from_exe("/usr/bin/curl", -ENOENT);
}

/* The first 40 bytes of a go1.19 binary's .go.buildinfo section. */
Test(proc_runtime, go_buildinfo)
{
	static const uint8_t sec[] = "\xff Go buildinf:\x08\x02"
				     "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
				     "\x08go1.19.8\x10path\tsomething";
	char out[48];

	cr_assert_eq(proc_runtime__go_buildinfo(sec, sizeof(sec) - 1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "go1.19.8");
	cr_assert_eq(proc_runtime__go_buildinfo(sec, 36, out, sizeof(out)), -EINVAL,
		     "a cut string is refused");
	{
		uint8_t old[sizeof(sec)];

		memcpy(old, sec, sizeof(sec));
		old[15] = 0; /* go <= 1.17: pointers, not inline strings */
		cr_assert_eq(proc_runtime__go_buildinfo(old, sizeof(old) - 1, out, sizeof(out)),
			     -EINVAL);
	}
}

Test(proc_runtime, passwd_name)
{
	static const char pw[] = "root:x:0:0:root:/root:/bin/bash\n"
				 "broken line\n"
				 "agent:x:1000:1000::/home/agent:/bin/sh\n"
				 "svc:x:10000:1:::";
	char out[32];

	cr_assert_eq(proc_runtime__passwd_name(pw, 1000, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "agent");
	cr_assert_eq(proc_runtime__passwd_name(pw, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "root");
	cr_assert_eq(proc_runtime__passwd_name(pw, 10000, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "svc");
	cr_assert_eq(proc_runtime__passwd_name(pw, 100, out, sizeof(out)), -ENOENT);
}

/* This test process: a real /proc read. */
Test(proc_runtime, reads_self)
{
	struct ar_proc_runtime r;

	cr_assert_eq(proc_runtime__read(getpid(), 1, "/usr/bin/python3.11", &r), 0);
	cr_assert_eq(r.hdr.type, AR_EV_PROC_RUNTIME);
	if (getuid() == 0)
		cr_assert_str_eq(r.owner, "root");
	cr_assert_str_eq(r.runtime_name, "cpython");
	cr_assert_eq(proc_runtime__read(0x3fffff, 1, "", &r), -ENOENT);
}
