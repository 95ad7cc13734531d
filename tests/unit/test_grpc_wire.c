// SPDX-License-Identifier: MIT
/* gRPC wire pieces of the OTLP/gRPC exporter (PROTOCOL-HTTP2.md, the OTLP
 * exporter spec's retry table). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "export/grpc_wire.h"

Test(grpc_wire, prefix_and_unframe)
{
	uint8_t buf[16];
	const uint8_t *msg;
	size_t len;
	bool z;

	grpc_wire__prefix(buf, true, 0x01020304);
	cr_assert_eq(memcmp(buf, "\x01\x01\x02\x03\x04", 5), 0);
	grpc_wire__prefix(buf, false, 3);
	memcpy(buf + 5, "abc", 3);
	cr_assert_eq(grpc_wire__unframe(buf, 8, &msg, &len, &z), 0);
	cr_assert_eq(len, 3);
	cr_assert_not(z);
	cr_assert_eq(memcmp(msg, "abc", 3), 0);
	cr_assert_eq(grpc_wire__unframe(buf, 7, &msg, &len, &z), -EAGAIN);
	cr_assert_eq(grpc_wire__unframe(buf, 4, &msg, &len, &z), -EAGAIN);
	buf[0] = 7;
	cr_assert_eq(grpc_wire__unframe(buf, 8, &msg, &len, &z), -EBADMSG);
}

/* The OTLP exporter spec: retryable codes, RESOURCE_EXHAUSTED only with
 * RetryInfo, everything else final. */
Test(grpc_wire, otlp_retry_table)
{
	static const int retry[] = { GRPC_CANCELLED, GRPC_DEADLINE_EXCEEDED, GRPC_ABORTED,
				     GRPC_OUT_OF_RANGE, GRPC_UNAVAILABLE, GRPC_DATA_LOSS };
	static const int final[] = { GRPC_UNKNOWN, GRPC_INVALID_ARGUMENT, GRPC_NOT_FOUND,
				     GRPC_ALREADY_EXISTS, GRPC_PERMISSION_DENIED,
				     GRPC_FAILED_PRECONDITION, GRPC_UNIMPLEMENTED, GRPC_INTERNAL,
				     GRPC_UNAUTHENTICATED, 99 };

	cr_assert_eq(grpc_wire__as_http(GRPC_OK, false), 200);
	for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
		cr_assert_eq(grpc_wire__as_http(retry[i], false), 503, "%d", retry[i]);
	for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
		cr_assert_eq(grpc_wire__as_http(final[i], true), 400, "%d", final[i]);
	cr_assert_eq(grpc_wire__as_http(GRPC_RESOURCE_EXHAUSTED, true), 429);
	cr_assert_eq(grpc_wire__as_http(GRPC_RESOURCE_EXHAUSTED, false), 400);
	cr_assert_str_eq(grpc_code__name(GRPC_UNAVAILABLE), "UNAVAILABLE");
}

/*
 * google.rpc.Status{code: 8, message: "slow down", details: [Any{
 * "type.googleapis.com/google.rpc.RetryInfo", RetryInfo{retry_delay:
 * Duration{seconds: 2, nanos: 500000000}}}]}, base64 without padding as
 * grpc-status-details-bin carries it (encoded with python3-protobuf's
 * any_pb2/duration_pb2 and a hand-built Status).
 */
Test(grpc_wire, retry_info_from_status_details)
{
	static const char b64[] =
		"CAgSCXNsb3cgZG93bho2Cih0eXBlLmdvb2dsZWFwaXMuY29tL2dvb2dsZS5ycGMuUmV0cnlJbmZv"
		"EgoKCAgCEIDKte4B";
	static const char other[] = /* details: a different Any type only */
		"CAgaKQojdHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLkhlbHASAgoA";

	cr_assert_eq(grpc_wire__retry_delay_ms(b64, strlen(b64)), 2500);
	cr_assert_eq(grpc_wire__retry_delay_ms(other, strlen(other)), -1);
	cr_assert_eq(grpc_wire__retry_delay_ms("!!!", 3), -1);
	cr_assert_eq(grpc_wire__retry_delay_ms(b64, 40), -1, "a cut value decodes to nothing");
}

Test(grpc_wire, message_percent_decoded)
{
	char out[32];

	grpc_wire__message("bad%20thing%0A%zz", 17, out, sizeof(out));
	cr_assert_str_eq(out, "bad thing.%zz");
	grpc_wire__message("0123456789", 10, out, 5);
	cr_assert_str_eq(out, "0123");
}
