// SPDX-License-Identifier: MIT
/* libFuzzer harness for the AWS eventstream decoder (Bedrock
 * ConverseStream): the first byte picks how the input is split. */
#include <stdint.h>

#include "genai/eventstream.h"

static int on_msg(void *ctx, const struct eventstream_msg *m)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eventstream *p = eventstream__new(64 * 1024, on_msg, NULL);
	size_t step;

	if (!p || !size)
		goto cleanup;
	step = data[0] ? data[0] : 1;
	for (size_t off = 1; off < size; off += step)
		eventstream__feed(p, data + off, size - off < step ? size - off : step);
	eventstream__finish(p);
cleanup:
	eventstream__free(p);
	return 0;
}
