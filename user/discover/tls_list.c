// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "discover/proc_info.h"
#include "discover/proc_maps.h"
#include "discover/tls_lib.h"
#include "discover/tls_list.h"

struct list_ctx {
	FILE *out;
	int files;
};

/* OpenSSL's libcrypto carries no TLS code (its AEAD-only cousins get a
 * plan of their own): libssl beside it is where plaintext is read. */
static const char *none_why(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strncmp(base, "libcrypto", 9))
		return "crypto only, no TLS code (OpenSSL's TLS is in libssl)";
	return "no TLS library";
}

static int list_one(void *ctx, const char *path)
{
	struct list_ctx *c = ctx;
	struct tls_plan *plan = malloc(sizeof(*plan));
	char what[160];
	int n;

	if (!plan)
		return -ENOMEM;
	n = tls_lib__plan(path, plan);
	c->files++;
	if (n < 0) {
		fprintf(c->out, "  %s: unreadable: %s\n", path, strerror(-n));
	} else if (plan->lib == TLS_LIB_NONE) {
		fprintf(c->out, "  %s: %s\n", path, none_why(path));
	} else {
		tls_plan__describe(plan, what, sizeof(what));
		fprintf(c->out, "  %s: %s: %s\n", path, what,
			n ? "plaintext functions located" : plan->note);
		for (size_t i = 0; i < plan->n; i++)
			fprintf(c->out, "    %-32s %-7s at file offset 0x%llx%s\n",
				tls_progs[plan->probes[i].prog].what,
				tls_progs[plan->probes[i].prog].retprobe ? "return" : "uprobe",
				(unsigned long long)plan->probes[i].off,
				plan->probes[i].inner ?
					" (the internal function both wrappers call)" : "");
	}
	free(plan);
	return 0;
}

int tls_list__print(uint32_t pid, FILE *out)
{
	struct list_ctx c = { .out = out };
	char comm[32] = "?";
	int err;

	err = proc_info__comm(pid, comm, sizeof(comm));
	if (err)
		return err;
	fprintf(out, "process %u (%s):\n", pid, comm);
	err = proc_maps__for_each_candidate(pid, list_one, &c);
	if (err)
		return err;
	if (!c.files)
		fprintf(out, "  no candidate files (no libssl mapped, executable unreadable)\n");
	return 0;
}
