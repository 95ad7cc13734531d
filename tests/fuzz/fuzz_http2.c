// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the HTTP/2 path (frames, HPACK through nghttp2's
 * inflater, streams) and the gen_ai stage behind it. The client preface is
 * fed first so every input reaches the HTTP/2 parser; the rest uses
 * fuzz_http1's framing: records of one control byte (bit 0 direction,
 * bit 1 gap, bits 2-7: (len-1)/8) followed by the data.
 */
#include <stdint.h>
#include <string.h>

#include "conn/stream.h"
#include "genai/genai.h"
#include "proto/http2.h"
#include "proto/http_tracker.h"
#include "trace/span.h"

static struct genai *g;

static void on_exchange(void *ctx, const struct http_exchange *x)
{
	span__free(genai__span_from_exchange(g, x, 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_tracker *t;
	struct stream_sink sink;
	struct conn_meta c = { .conn_id = 1, .tgid = 1, .fd = -1, .is_tls = true };
	uint64_t ts = 1;

	if (!g)
		g = genai__new(NULL);
	t = http_tracker__new(NULL, on_exchange, NULL);
	if (!t)
		return 0;
	sink = http_tracker__sink(t);
	sink.on_open(sink.ctx, &c);
	sink.on_data(sink.ctx, &c, AR_DIR_EGRESS, (const uint8_t *)HTTP2_PREFACE,
		     HTTP2_PREFACE_LEN, ts++, 1);
	for (size_t off = 0; off < size;) {
		uint8_t ctl = data[off++];
		size_t len = (ctl >> 2) * 8 + 1;
		int dir = ctl & 1;

		if (len > size - off)
			len = size - off;
		if (ctl & 2)
			sink.on_gap(sink.ctx, &c, dir, len);
		else
			sink.on_data(sink.ctx, &c, dir, data + off, len, ts++, 1);
		off += len;
	}
	sink.on_close(sink.ctx, &c);
	http_tracker__free(t);
	return 0;
}
