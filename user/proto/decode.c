// SPDX-License-Identifier: MIT
/*
 * Streaming Content-Encoding decoders. Each layer decodes into the next
 * layer's input (a per-layer scratch chunk) and the last layer decodes
 * straight into the caller's body_buf, so the decoded body is written once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "proto/decode.h"

#define DECODE_CHUNK 16384
/* zstd frames may ask for huge windows. The zstd content coding (RFC
 * 9659) limits them to 8 MiB, which also bounds memory per layer. */
#define ZSTD_WINDOW_LOG_MAX 23

enum coding { CODING_GZIP, CODING_DEFLATE, CODING_BR, CODING_ZSTD };
enum { ST_MORE, ST_END, ST_ERR };
enum { STOP = 1, LIMIT = 2 }; /* output reached its cap; a decode limit */

struct layer {
	enum coding kind;
	size_t in_total;  /* bytes this layer was given */
	size_t out_total; /* bytes this layer produced */
	bool ready;   /* deflate: wrapper sniffed and inflate initialised */
	bool ended;   /* end of stream; later input is ignored */
	bool at_end;  /* stream is at a frame boundary (for finish) */
	uint8_t hold[2];
	size_t nhold;
	z_stream z;
	BrotliDecoderState *br;
	ZSTD_DCtx *zs;
};

struct decode {
	struct layer l[DECODE_MAX_LAYERS];
	int n;
	bool failed;
	bool stopped;
	enum decode_stop why; /* first limit that stopped decoding */
	uint8_t *scratch; /* (n - 1) chunks, one per non-final layer */
};

/* --- construction --- */

static void layer_free(struct layer *l)
{
	if ((l->kind == CODING_GZIP || l->kind == CODING_DEFLATE) && l->ready)
		inflateEnd(&l->z);
	if (l->br)
		BrotliDecoderDestroyInstance(l->br);
	if (l->zs)
		ZSTD_freeDCtx(l->zs);
}

void decode__free(struct decode *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++)
		layer_free(&d->l[i]);
	free(d->scratch);
	free(d);
}

static int layer_init(struct layer *l, enum coding kind)
{
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	switch (kind) {
	case CODING_GZIP:
		/* 16+: gzip wrapper only, as the coding name promises. */
		if (inflateInit2(&l->z, 16 + MAX_WBITS) != Z_OK)
			return -ENOMEM;
		l->ready = true;
		return 0;
	case CODING_DEFLATE:
		return 0; /* initialised once the first two bytes show the wrapper */
	case CODING_BR:
		l->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
		l->ready = true;
		return l->br ? 0 : -ENOMEM;
	case CODING_ZSTD:
		l->zs = ZSTD_createDCtx();
		if (!l->zs)
			return -ENOMEM;
		ZSTD_DCtx_setParameter(l->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
		l->ready = true;
		l->at_end = true; /* zero frames is a complete (empty) stream */
		return 0;
	}
	return -EINVAL;
}

static bool tok_is(const char *t, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(t, name, n) == 0;
}

/* Parses one coding token. Returns 0 with *skip for identity, -ENOTSUP. */
static int parse_coding(const char *t, size_t n, enum coding *out, bool *skip)
{
	*skip = false;
	if (tok_is(t, n, "gzip") || tok_is(t, n, "x-gzip"))
		*out = CODING_GZIP;
	else if (tok_is(t, n, "deflate"))
		*out = CODING_DEFLATE;
	else if (tok_is(t, n, "br"))
		*out = CODING_BR;
	else if (tok_is(t, n, "zstd"))
		*out = CODING_ZSTD;
	else if (tok_is(t, n, "identity"))
		*skip = true;
	else
		return -ENOTSUP;
	return 0;
}

int decode__new(struct decode **out, const char *ce, size_t ce_len)
{
	enum coding order[DECODE_MAX_LAYERS];
	struct decode *d = NULL;
	size_t i = 0;
	int n = 0, err = 0;

	*out = NULL;
	while (i < ce_len) {
		size_t s, e;
		enum coding c;
		bool skip;

		while (i < ce_len && (ce[i] == ' ' || ce[i] == '\t' || ce[i] == ','))
			i++;
		s = i;
		while (i < ce_len && ce[i] != ',')
			i++;
		e = i;
		while (e > s && (ce[e - 1] == ' ' || ce[e - 1] == '\t'))
			e--;
		if (e == s)
			continue;
		err = parse_coding(ce + s, e - s, &c, &skip);
		if (err)
			return err;
		if (skip)
			continue;
		if (n == DECODE_MAX_LAYERS)
			return -E2BIG;
		order[n++] = c;
	}
	if (n == 0)
		return 0;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (n > 1) {
		d->scratch = malloc((size_t)(n - 1) * DECODE_CHUNK);
		if (!d->scratch) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	/* The last coding listed was applied last, so it is undone first. */
	for (int k = 0; k < n; k++) {
		err = layer_init(&d->l[k], order[n - 1 - k]);
		if (err)
			goto cleanup;
		d->n = k + 1;
	}
	*out = d;
	return 0;
cleanup:
	decode__free(d);
	return err;
}

/* --- decoding --- */

static int step_zlib(struct layer *l, const uint8_t **in, size_t *in_n,
		     uint8_t *out, size_t out_n, size_t *produced)
{
	int r;

	l->z.next_in = (Bytef *)(uintptr_t)*in;
	l->z.avail_in = (uInt)(*in_n > UINT32_MAX ? UINT32_MAX : *in_n);
	l->z.next_out = out;
	l->z.avail_out = (uInt)out_n;
	r = inflate(&l->z, Z_NO_FLUSH);
	*produced = out_n - l->z.avail_out;
	*in_n -= (size_t)((const uint8_t *)l->z.next_in - *in);
	*in = l->z.next_in;
	if (r == Z_STREAM_END)
		return ST_END;
	if (r == Z_OK || r == Z_BUF_ERROR)
		return ST_MORE;
	return ST_ERR;
}

static int step_br(struct layer *l, const uint8_t **in, size_t *in_n,
		   uint8_t *out, size_t out_n, size_t *produced)
{
	size_t ao = out_n;
	uint8_t *no = out;
	BrotliDecoderResult r;

	r = BrotliDecoderDecompressStream(l->br, in_n, in, &ao, &no, NULL);
	*produced = out_n - ao;
	if (r == BROTLI_DECODER_RESULT_ERROR)
		return ST_ERR;
	return r == BROTLI_DECODER_RESULT_SUCCESS ? ST_END : ST_MORE;
}

static int step_zstd(struct layer *l, const uint8_t **in, size_t *in_n,
		     uint8_t *out, size_t out_n, size_t *produced)
{
	ZSTD_inBuffer ib = { *in, *in_n, 0 };
	ZSTD_outBuffer ob = { out, out_n, 0 };
	size_t r = ZSTD_decompressStream(l->zs, &ob, &ib);

	*produced = ob.pos;
	*in += ib.pos;
	*in_n -= ib.pos;
	if (ZSTD_isError(r))
		return ST_ERR;
	/* 0: a frame ended and was flushed; more frames may follow. */
	l->at_end = r == 0;
	return ST_MORE;
}

static int step(struct layer *l, const uint8_t **in, size_t *in_n,
		uint8_t *out, size_t out_n, size_t *produced)
{
	switch (l->kind) {
	case CODING_GZIP:
	case CODING_DEFLATE:
		return step_zlib(l, in, in_n, out, out_n, produced);
	case CODING_BR:
		return step_br(l, in, in_n, out, out_n, produced);
	case CODING_ZSTD:
		return step_zstd(l, in, in_n, out, out_n, produced);
	}
	return ST_ERR;
}

/* Every layer's input and output is capped, not only the body: a
 * non-final layer's output is the next layer's compressed input, which a
 * body of out->cap bytes never needs much more of. */
static size_t layer_limit(const struct body_buf *out)
{
	return out->cap + out->cap / 4 + 2 * DECODE_CHUNK;
}

static int stop(struct decode *d, enum decode_stop why)
{
	if (!d->why)
		d->why = why;
	return LIMIT;
}

/* Where layer i writes: the next layer's scratch, or free space in out. */
static int out_space(struct decode *d, int i, struct body_buf *out,
		     uint8_t **p, size_t *avail)
{
	size_t want;

	if (i + 1 < d->n) {
		*p = d->scratch + (size_t)i * DECODE_CHUNK;
		*avail = DECODE_CHUNK;
		return 0;
	}
	if (out->evicted || out->len >= out->cap) {
		out->truncated = true;
		return STOP;
	}
	want = out->cap - out->len;
	if (want > DECODE_CHUNK)
		want = DECODE_CHUNK;
	if (body_buf__grow(out, out->len + want + 1)) {
		out->truncated = true;
		return -ENOMEM;
	}
	*p = out->p + out->len;
	*avail = out->size - 1 - out->len;
	if (*avail > out->cap - out->len)
		*avail = out->cap - out->len;
	return 0;
}

static int layer_feed(struct decode *d, int i, const uint8_t *in, size_t n,
		      struct body_buf *out);

static int put_out(struct decode *d, int i, struct body_buf *out,
		   const uint8_t *p, size_t len)
{
	if (len == 0)
		return 0;
	d->l[i].out_total += len;
	if (i + 1 < d->n) {
		/* an inner stream that ended ignores what follows: inflating
		 * more of it would be CPU spent on nothing (the gzip-then-zeros
		 * bomb under zstd) */
		if (d->l[i + 1].ended)
			return stop(d, DECODE_STOP_TRAILING);
		if (d->l[i].out_total > layer_limit(out))
			return stop(d, DECODE_STOP_LAYER_OUTPUT);
		return layer_feed(d, i + 1, p, len, out);
	}
	out->len += len;
	out->p[out->len] = 0;
	return 0;
}

/* Sniffs the deflate wrapper: servers send both zlib (RFC 1950, what the
 * spec says) and raw RFC 1951 streams. */
static int deflate_start(struct decode *d, int i, const uint8_t **in, size_t *n,
			 struct body_buf *out)
{
	struct layer *l = &d->l[i];
	bool zlib;

	while (l->nhold < 2 && *n > 0) {
		l->hold[l->nhold++] = **in;
		(*in)++;
		(*n)--;
	}
	if (l->nhold < 2)
		return 0;
	zlib = (l->hold[0] & 0x0f) == 8 && (l->hold[0] >> 4) <= 7 &&
	       ((l->hold[0] << 8) | l->hold[1]) % 31 == 0;
	if (inflateInit2(&l->z, zlib ? MAX_WBITS : -MAX_WBITS) != Z_OK)
		return -ENOMEM;
	l->ready = true;
	return layer_feed(d, i, l->hold, 2, out);
}

/* Returns 0 (input consumed or ignored), STOP, -EINVAL or -ENOMEM. */
static int layer_feed(struct decode *d, int i, const uint8_t *in, size_t n,
		      struct body_buf *out)
{
	struct layer *l = &d->l[i];
	bool pending = false;
	int err;

	l->in_total += n;
	if (l->in_total > layer_limit(out))
		return stop(d, i == 0 ? DECODE_STOP_INPUT : DECODE_STOP_LAYER_OUTPUT);
	if (!l->ready) {
		err = deflate_start(d, i, &in, &n, out);
		if (err || !l->ready)
			return err;
	}
	while (!l->ended && (n > 0 || pending)) {
		size_t before = n, avail, prod = 0;
		uint8_t *p;
		int st;

		if (l->at_end && l->kind == CODING_GZIP) {
			/* another member, or trailing bytes we ignore */
			if (n == 0 || in[0] != 0x1f) {
				l->ended = n > 0;
				break;
			}
			inflateReset(&l->z);
			l->at_end = false;
		}
		err = out_space(d, i, out, &p, &avail);
		if (err)
			return err;
		st = step(l, &in, &n, p, avail, &prod);
		if (st == ST_ERR)
			return -EINVAL;
		err = put_out(d, i, out, p, prod);
		if (err)
			return err;
		if (st == ST_END) {
			l->at_end = true;
			/* gzip may carry several members back to back */
			if (l->kind == CODING_GZIP)
				continue;
			l->ended = true;
			break;
		}
		pending = prod == avail;
		if (prod == 0 && n == before)
			break; /* needs more input */
	}
	return 0;
}

int decode__feed(struct decode *d, const uint8_t *in, size_t n, struct body_buf *out)
{
	int err;

	if (d->failed)
		return -EINVAL;
	if (d->stopped || n == 0)
		return 0;
	err = layer_feed(d, 0, in, n, out);
	if (err == STOP) {
		d->stopped = true;
		return 0;
	}
	if (err == LIMIT) {
		d->stopped = true;
		/* trailing bytes after the inner end cost no content */
		if (d->why != DECODE_STOP_TRAILING)
			out->truncated = true;
		return -EFBIG;
	}
	if (err == -EINVAL)
		d->failed = true;
	return err;
}

enum decode_stop decode__stop(const struct decode *d)
{
	return d->why;
}

const char *decode__stop_str(enum decode_stop why)
{
	static const char *const names[] = {
		[DECODE_STOP_NONE] = "none",
		[DECODE_STOP_INPUT] = "input",
		[DECODE_STOP_LAYER_OUTPUT] = "layer_output",
		[DECODE_STOP_TRAILING] = "trailing",
	};

	return (unsigned)why < DECODE_STOP__COUNT ? names[why] : "?";
}

int decode__finish(struct decode *d, const struct body_buf *out)
{
	if (d->failed)
		return -EINVAL;
	if (d->stopped || out->truncated)
		return 0;
	for (int i = 0; i < d->n; i++)
		if (!d->l[i].at_end)
			return -EPIPE;
	return 0;
}
