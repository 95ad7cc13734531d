// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for TLS library location (discovery reads every file a
 * traced process maps as libssl* and its executable, so a tenant controls
 * its bytes): symbols, .gopclntab, .eh_frame_hdr, version strings and code
 * decoding, through tls_lib__plan. The input is written to a memfd and read
 * through /proc/self/fd.
 */
#include "fuzz_memfd.h" /* first: it defines _GNU_SOURCE */

#include "discover/tls_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_plan plan;

	tls_lib__plan(fz_memfd_path(data, size), &plan);
	return 0;
}
