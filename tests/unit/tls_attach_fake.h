/* SPDX-License-Identifier: MIT */
/* Stand-ins for probes__attach_tls / probes__detach_tls, so that the TLS
 * file table (discover/tls_files.h) runs without BPF: an attachment is a
 * one-byte allocation (leak checks catch a missed detach), counted. */
#ifndef AR_TESTS_TLS_ATTACH_FAKE_H
#define AR_TESTS_TLS_ATTACH_FAKE_H

#include <errno.h>
#include <stdlib.h>

#include "discover/tls_lib.h"

struct probes;
struct tls_attach;

static size_t live;     /* attachments the stand-ins hold */
static size_t detached; /* non-NULL detaches */

static int fake_attach(struct probes *p, const char *path, const struct tls_plan *plan,
		       int pid, struct tls_attach **out)
{
	(void)p, (void)path, (void)plan, (void)pid;
	*out = malloc(1);
	if (!*out)
		return -ENOMEM;
	live++;
	return 0;
}

static void fake_detach(struct tls_attach *a)
{
	if (!a)
		return;
	free(a);
	live--;
	detached++;
}

#endif
