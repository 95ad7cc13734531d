// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the HTTP and gen_ai stages: the input is split into
 * records by a tiny framing (1 control byte: direction, gap flag, length)
 * and fed through http_tracker's sink; every exchange goes through genai,
 * with content capture off or on (flags byte bit 1).
 */
#include <stdint.h>
#include <string.h>

#include "conn/stream.h"
#include "genai/genai.h"
#include "proto/http_tracker.h"
#include "trace/span.h"

static struct genai *gs[2]; /* content capture off, on */
static struct genai *g;

static void on_exchange(void *ctx, const struct http_exchange *x)
{
	span__free(genai__span_from_exchange(g, x, 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_tracker *t;
	struct stream_sink sink;
	struct conn_meta c = { .conn_id = 1, .tgid = 1, .fd = 3, .role = AR_ROLE_CLIENT };
	uint64_t ts = 1;

	if (!gs[0]) {
		struct genai_cfg on = { .capture_content = true, .content_max_bytes = 64 };

		gs[0] = genai__new(NULL);
		gs[1] = genai__new(&on);
	}
	/* flags bit 1: --capture-content on */
	g = gs[size && (data[0] & 2)];
	t = http_tracker__new(NULL, on_exchange, NULL);
	if (!t)
		return 0;
	sink = http_tracker__sink(t);
	if (size && (data[0] & 1)) {
		c.role = AR_ROLE_UNKNOWN;
		c.is_tls = true;
	}
	if (sink.on_open)
		sink.on_open(sink.ctx, &c);
	for (size_t off = size ? 1 : 0; off < size;) {
		uint8_t ctl = data[off++];
		size_t len = (ctl >> 2) * 8 + 1;
		int dir = ctl & 1;

		if (len > size - off)
			len = size - off;
		if ((ctl & 2) && sink.on_gap)
			sink.on_gap(sink.ctx, &c, dir, len);
		else
			sink.on_data(sink.ctx, &c, dir, data + off, len, ts++, 1);
		off += len;
	}
	if (sink.on_close)
		sink.on_close(sink.ctx, &c);
	http_tracker__free(t);
	return 0;
}
