/* SPDX-License-Identifier: MIT */
/*
 * Content-Encoding decoding for HTTP bodies: gzip (x-gzip), deflate (zlib
 * wrapped or raw), br, zstd and identity, stacked as the header lists them
 * ("gzip, br" is undone br first). Streaming: bodies are fed as they arrive
 * and decoded bytes go straight into a capped body_buf, so a body is copied
 * once. Decompression bombs stop at the cap.
 */
#ifndef AR_PROTO_DECODE_H
#define AR_PROTO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/body_buf.h"

/* Most codings one header may stack. */
#define DECODE_MAX_LAYERS 4

struct decode;

/* Builds a decoder for a Content-Encoding value (comma-separated codings,
 * case-insensitive). *out is NULL when nothing needs decoding (absent,
 * empty or identity only). Returns 0, -ENOTSUP for an unknown coding,
 * -E2BIG for more than DECODE_MAX_LAYERS codings, or -ENOMEM; *out is
 * NULL on every failure. */
int decode__new(struct decode **out, const char *ce, size_t ce_len);
void decode__free(struct decode *d);

/* Why decoding stopped before the output cap (hostile input, counted). */
enum decode_stop {
	DECODE_STOP_NONE,
	DECODE_STOP_INPUT,        /* compressed input over the layer limit */
	DECODE_STOP_LAYER_OUTPUT, /* a non-final layer produced over its limit */
	DECODE_STOP_TRAILING,     /* an inner stream ended, the outer went on */
	DECODE_STOP__COUNT
};

/* Decodes n more bytes into out. Returns 0; -EINVAL once the data is
 * corrupt (sticky: later calls return -EINVAL and write nothing); -EFBIG
 * once, when a decode limit stops decoding (out->truncated is set, later
 * input is ignored; decode__stop says which); -ENOMEM.
 * When out reaches its cap, decoding stops and input is ignored. Every
 * layer's input and output is bounded by about 1.25 * out->cap. */
int decode__feed(struct decode *d, const uint8_t *in, size_t n, struct body_buf *out);

/* End of body. Returns 0 if every layer reached its end of stream (or
 * decoding stopped at the output cap), -EPIPE if the stream was cut short,
 * -EINVAL if it had failed. */
int decode__finish(struct decode *d, const struct body_buf *out);

/* The limit that stopped decoding, or DECODE_STOP_NONE. */
enum decode_stop decode__stop(const struct decode *d);
const char *decode__stop_str(enum decode_stop why);

#endif
