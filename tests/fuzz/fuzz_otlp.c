// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the OTLP encoders: spans whose names, attribute
 * keys and values (arbitrary bytes, invalid UTF-8 included) come from the
 * input are encoded as protobuf and JSON; the protobuf must decode back
 * to as many spans. The response parsers read the raw input too.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "export/otlp_json.h"
#include "export/otlp_pb.h"
#include "fuzz_exchange.h"
#include "trace/span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span *spans[3] = { 0 }, **back = NULL;
	char msg[64], *js;
	size_t nb = 0, len = 0;
	uint8_t *pb = NULL;
	int64_t rej;
	struct fz z;
	int n = 0;

	otlp_pb__parse_response(data, size, &rej, msg, sizeof(msg));
	otlp_json__parse_response((const char *)data, size, &rej, msg, sizeof(msg));
	fz_split(&z, data, size);
	for (size_t i = 0; i < z.nf && n < 3; i += 4, n++) {
		struct span *s = span__new(fz_str(&z, i), (enum span_kind)(i % 6));

		if (!s)
			abort();
		s->proc.pid = (uint32_t)i;
		s->start_ns = fz_len(&z, i);
		s->end_ns = s->start_ns + 5;
		span__set_str(s, fz_str(&z, i + 1), fz_str(&z, i + 2));
		span__set_int(s, "n", (int64_t)fz_len(&z, i + 3));
		if (fz_len(&z, i + 3) & 1)
			s->status = SPAN_STATUS_ERROR;
		spans[n] = s;
	}
	if (otlp_pb__encode(spans, (size_t)n, NULL, &pb, &len) == 0) {
		if (otlp_pb__decode(pb, len, &back, &nb) != 0 || nb != (size_t)n)
			abort(); /* our own encoding must read back */
		for (size_t i = 0; i < nb; i++)
			span__free(back[i]);
		free(back);
		free(pb);
	}
	js = otlp_json__encode(spans, (size_t)n, NULL);
	if (js) {
		json_t *j = json_loads(js, 0, NULL);

		if (!j)
			abort(); /* our JSON must be JSON */
		json_decref(j);
		free(js);
	}
	for (int i = 0; i < n; i++)
		span__free(spans[i]);
	fz_free(&z);
	return 0;
}
