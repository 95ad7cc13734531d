// SPDX-License-Identifier: MIT
/*
 * OpenSSL 3 linked statically into a stripped binary (Codex). ERR_raise
 * records __func__, so the strings "ssl_write_internal" and
 * "ssl_read_internal" survive stripping, and the code that passes their
 * address lies inside those very functions. Each string's references must
 * all fall in one function, whose start comes from .eh_frame and whose
 * first bytes must look like a function prologue; anything else and the
 * binary is left alone.
 *
 * ssl_read_internal(s, buf, num, size_t *readbytes) has SSL_read_ex's
 * shape; ssl_write_internal is (s, buf, num, size_t *written) before 3.3
 * and (s, buf, num, uint64_t flags, size_t *written) from 3.3 on. Both
 * return 1 with the count through the pointer, like the _ex calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover/eh_frame.h"
#include "discover/elf_image.h"
#include "discover/tls_lib.h"
#include "discover/text_refs.h"

#define MAX_REFS 16

/* endbr64; push rbp/rbx/r12-r15; sub rsp; mov [rsp+x], reg */
static bool c_prologue(const uint8_t *p)
{
	if (!memcmp(p, "\xf3\x0f\x1e\xfa", 4))
		return true;
	if (p[0] == 0x55 || p[0] == 0x53 || (p[0] == 0x41 && p[1] >= 0x54 && p[1] <= 0x57))
		return true;
	return p[0] == 0x48 && (p[1] == 0x83 || p[1] == 0x81 || p[1] == 0x89) &&
	       (p[2] == 0xec || p[2] == 0x5c || p[2] == 0x6c || p[2] == 0x74 || p[2] == 0x7c);
}

static const char *const func_names[2] = { "ssl_read_internal", "ssl_write_internal" };

/* Address of the __func__ string name (NUL on both sides), or 0. */
static uint64_t func_string(const struct elf_image *img, const char *name)
{
	char needle[64];
	size_t nlen = snprintf(needle, sizeof(needle), "%c%s", 0, name) + 1; /* both NULs */
	const uint8_t *hit = elf_image__find_data(img, needle, nlen, NULL);

	return hit ? elf_image__addr_of(img, hit + 1) : 0;
}

void tls_static__want_openssl(const struct elf_image *img, struct text_refs *refs)
{
	for (size_t i = 0; i < 2; i++) {
		uint64_t at = func_string(img, func_names[i]);

		if (at)
			text_refs__want(refs, at);
	}
}

/* The references to the __func__ string name (from the pass shared with
 * the file's other libraries): *refs, *n of them. false with plan->note
 * set when the string or .text is missing. */
static bool name_refs(const struct elf_image *img, struct text_refs *tr, const char *name,
		      const uint64_t **refs, size_t *n, struct tls_plan *plan)
{
	uint64_t at = func_string(img, name);

	if (!at || text_refs__lea(tr, at, refs, n)) {
		snprintf(plan->note, sizeof(plan->note), "no %s string or no .text", name);
		return false;
	}
	return true;
}

/* The start of the one function holding all n references refs to the
 * __func__ string name, or 0 with plan->note set. */
static uint64_t func_of_refs(const struct elf_image *img, const char *name, const uint64_t *refs,
			     size_t n, struct tls_plan *plan)
{
	const uint8_t *code;
	uint64_t start = 0;

	if (n == 0 || n > MAX_REFS) {
		snprintf(plan->note, sizeof(plan->note), "%s referenced %zu times", name, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t s, e;

		if (eh_frame__func_bounds(img, refs[i], &s, &e) || (start && s != start)) {
			snprintf(plan->note, sizeof(plan->note),
				 "%s references are not inside one function", name);
			return 0;
		}
		start = s;
	}
	code = elf_image__code(img, start, 16);
	if (!code || !c_prologue(code)) {
		snprintf(plan->note, sizeof(plan->note), "%s at 0x%llx: no function prologue",
			 name, (unsigned long long)start);
		return 0;
	}
	return start;
}

int tls_static__locate_openssl(const struct elf_image *img, struct text_refs *refs,
			       struct tls_plan *plan)
{
	const uint64_t *rd_refs, *wr_refs;
	size_t n_rd, n_wr;
	uint64_t rd, wr;
	char v[40] = "";
	int major = 0, minor = 0;

	if (!name_refs(img, refs, func_names[0], &rd_refs, &n_rd, plan) ||
	    !name_refs(img, refs, func_names[1], &wr_refs, &n_wr, plan))
		return 0;
	rd = func_of_refs(img, func_names[0], rd_refs, n_rd, plan);
	if (!rd)
		return 0;
	wr = func_of_refs(img, func_names[1], wr_refs, n_wr, plan);
	if (!wr)
		return 0;
	elf_image__version_after(img, "OpenSSL ", v, sizeof(v));
	if (sscanf(v, "%d.%d", &major, &minor) != 2 || major != 3) {
		snprintf(plan->note, sizeof(plan->note),
			 "OpenSSL version %s: ssl_write_internal's arguments unknown", v);
		return 0;
	}
	tls_plan__add(plan, TLS_PROG_SSL_READ_EX, elf_image__file_off(img, rd));
	tls_plan__add(plan, TLS_PROG_SSL_READ_EX_RET, elf_image__file_off(img, rd));
	tls_plan__add(plan, minor >= 3 ? TLS_PROG_SSL_WRITE_INTERNAL : TLS_PROG_SSL_WRITE_EX,
		      elf_image__file_off(img, wr));
	tls_plan__add(plan, TLS_PROG_SSL_WRITE_EX_RET, elf_image__file_off(img, wr));
	if (plan->n != 4) {
		plan->n = 0;
		snprintf(plan->note, sizeof(plan->note), "functions outside the code segment");
	}
	return plan->n;
}
