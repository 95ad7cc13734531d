/* SPDX-License-Identifier: MIT */
/*
 * The OTLP/gRPC transport: one unary call per body over HTTP/2 with
 * libcurl (h2c with prior knowledge for http://, ALPN for https://),
 * reusing one connection. Generic over the payload: the caller passes an
 * encoded (and, with cfg->gzip, gzipped) request message and the method,
 * so traces and metrics share it. The outcome is reported in the shape of
 * an http_response so the exporter's one retry policy and queue serve both
 * transports: see grpc_wire__as_http(). Exporter thread only.
 */
#ifndef AR_EXPORT_OTLP_GRPC_H
#define AR_EXPORT_OTLP_GRPC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "export/config.h"
#include "export/otlp_http.h"

#define OTLP_GRPC_TRACES_METHOD "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
#define OTLP_GRPC_METRICS_METHOD \
	"/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"

struct otlp_grpc;

/*
 * A transport calling method at cfg->endpoint's scheme, host and port
 * (its path is ignored), with cfg's headers as metadata, TLS files and
 * compression. abort_at_ns as for otlp_http__new(). Returns NULL on
 * -ENOMEM, a bad endpoint or a libcurl without HTTP/2.
 */
struct otlp_grpc *otlp_grpc__new(const struct export_config *cfg, const char *method,
				 const _Atomic uint64_t *abort_at_ns);
void otlp_grpc__free(struct otlp_grpc *g);

/*
 * Calls the method with msg[0..len) and waits at most timeout_ms. Fills
 * *res: status 200 and body = the response message on OK; the mapped
 * status, grpc_status, retry_after_ms (RetryInfo) and body = grpc-message
 * on a gRPC error; status 0 and error on a transport failure (also: no
 * HTTP/2, no grpc-status). Returns 0, -EIO (status 0) or -ENOMEM.
 */
int otlp_grpc__call(struct otlp_grpc *g, const void *msg, size_t len, int timeout_ms,
		    struct http_response *res);

#endif
