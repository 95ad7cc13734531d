// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the whole tools/ stage on one exchange built from
 * the input (fuzz_exchange.h): MCP request, reader and span (JSON and SSE
 * answers, base64 Mcp-Name headers), black-box spans with their hashes,
 * schema hashes, and URL redaction (url.full and any URI), with content
 * capture off and on.
 */
#include "fuzz_exchange.h"
#include "tools/tools.h"
#include "tools/url.h"
#include "trace/span.h"

static struct tools *t[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	struct http_exchange *x;
	char *u;

	if (!t[0]) {
		struct tools_cfg off = { 0 }, on = { .capture_content = true, .max_hash_bytes = 4096 };

		t[0] = tools__new(&off);
		t[1] = tools__new(&on);
	}
	fz_split(&z, data, size);
	x = fz_exchange(&z);
	span__free(tools__span_from_exchange(t[0], x, 0));
	span__free(tools__span_from_exchange(t[1], x, 0));
	free(url__full(x));
	u = url__redact_uri(x->target);
	free(u);
	fz_free(&z);
	return 0;
}
