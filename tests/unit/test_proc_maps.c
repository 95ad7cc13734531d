// SPDX-License-Identifier: MIT
/* /proc/PID/maps parsing: libssl and libcrypto copies and the executable,
 * once each. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "discover/proc_maps.h"

static char got[8][256];
static int n_got;

static int collect(void *ctx, const char *path)
{
	(void)ctx;
	snprintf(got[n_got++ % 8], sizeof(got[0]), "%s", path);
	return 1;
}

Test(proc_maps, candidates_once_each)
{
	static char maps[] =
		"55d0 r--p 00000000 fe:00 1 /usr/bin/node\n"
		"55d1 r-xp 00001000 fe:00 1 /usr/bin/node\n"
		"7f00 r--p 00000000 fe:00 2 /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
		"7f01 r-xp 00001000 fe:00 2 /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
		"7f02 r--p 00000000 fe:00 3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
		"7f03 r--p 00000000 fe:00 4 /tmp/libssl.so (deleted)\n"
		"7f04 rw-p 00000000 00:00 0 [heap]\n";
	FILE *f = fmemopen(maps, strlen(maps), "r");

	cr_assert_not_null(f);
	n_got = 0;
	cr_assert_eq(proc_maps__candidates(f, "/usr/bin/node", collect, NULL), 3);
	fclose(f);
	cr_assert_str_eq(got[0], "/usr/bin/node");
	cr_assert_str_eq(got[1], "/usr/lib/x86_64-linux-gnu/libssl.so.3");
	/* an aws-lc or BoringSSL libcrypto exports the AEAD API rustls uses */
	cr_assert_str_eq(got[2], "/usr/lib/x86_64-linux-gnu/libcrypto.so.3");
}
