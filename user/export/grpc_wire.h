/* SPDX-License-Identifier: MIT */
/*
 * gRPC over HTTP/2, the pure parts (PROTOCOL-HTTP2.md): the 5-byte message
 * prefix, the grpc-status/grpc-message trailers, RetryInfo in
 * grpc-status-details-bin, and the OTLP exporter spec's retry policy.
 */
#ifndef AR_EXPORT_GRPC_WIRE_H
#define AR_EXPORT_GRPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRPC_PREFIX_LEN 5

enum grpc_code {
	GRPC_OK = 0, GRPC_CANCELLED = 1, GRPC_UNKNOWN = 2, GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4, GRPC_NOT_FOUND = 5, GRPC_ALREADY_EXISTS = 6,
	GRPC_PERMISSION_DENIED = 7, GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_FAILED_PRECONDITION = 9, GRPC_ABORTED = 10, GRPC_OUT_OF_RANGE = 11,
	GRPC_UNIMPLEMENTED = 12, GRPC_INTERNAL = 13, GRPC_UNAVAILABLE = 14,
	GRPC_DATA_LOSS = 15, GRPC_UNAUTHENTICATED = 16,
};

const char *grpc_code__name(int code);

/* Writes the length-prefixed message header for a len-byte message. */
void grpc_wire__prefix(uint8_t out[GRPC_PREFIX_LEN], bool compressed, uint32_t len);

/*
 * Finds the first whole message in buf[0..n). Returns 0 with *msg, *len
 * and *compressed set, or -EAGAIN when buf holds less than a whole
 * message, or -EBADMSG for a bad flag byte.
 */
int grpc_wire__unframe(const uint8_t *buf, size_t n, const uint8_t **msg, size_t *len,
		       bool *compressed);

/*
 * The RetryInfo delay in a grpc-status-details-bin value (base64 of a
 * google.rpc.Status), in ms. Returns the delay (>= 0), or -1 when the
 * value holds no RetryInfo or does not decode.
 */
long grpc_wire__retry_delay_ms(const char *b64, size_t n);

/* Percent-decodes a grpc-message value into out (cap >= 1), replacing
 * control bytes with '.'. */
void grpc_wire__message(const char *v, size_t n, char *out, size_t cap);

/*
 * The OTLP exporter spec's verdict for a gRPC status, as the HTTP status
 * the shared retry policy (retry.h) understands: 200 for OK, 503 for the
 * retryable codes (CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
 * UNAVAILABLE, DATA_LOSS), 429 for RESOURCE_EXHAUSTED with retry info,
 * 400 for everything else (never retried).
 */
long grpc_wire__as_http(int code, bool has_retry_info);

#endif
