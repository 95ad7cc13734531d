// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for trace/: traceparent, tracestate and baggage values
 * alone, and the whole tracectx__apply (tenant from baggage or a header,
 * baggage attributes) on request headers built from the input.
 */
#include "fuzz_exchange.h"
#include "trace/baggage.h"
#include "trace/context.h"
#include "trace/span.h"
#include "trace/traceparent.h"

static struct tracectx *tc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct baggage b;
	struct traceparent tp;
	struct span *s;
	struct fz z;

	if (!tc) {
		static const char *const keys[] = { "tenant", "tenant.id" };
		static const char *const hdrs[] = { "x-tenant-id" };
		static const char *const attrs[] = { "user.id", "session" };
		struct tracectx_cfg cfg = {
			.tenant_baggage_keys = keys, .n_tenant_baggage_keys = 2,
			.tenant_headers = hdrs, .n_tenant_headers = 1,
			.baggage_allow = attrs, .n_baggage_allow = 2,
		};

		tc = tracectx__new(&cfg);
		if (!tc)
			abort();
	}
	traceparent__parse((const char *)data, size, &tp);
	tracestate__validate((const char *)data, size);
	baggage__parse(&b, (const char *)data, size);
	fz_split(&z, data, size);
	fz_exchange(&z);
	s = span__new("x", SPAN_KIND_CLIENT);
	if (s) {
		s->proc.pid = 1 + (size & 3); /* a few "processes" for workflows */
		tracectx__apply(tc, s, &z.x.req);
		span__free(s);
	}
	fz_free(&z);
	return 0;
}
