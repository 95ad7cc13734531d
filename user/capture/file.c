// SPDX-License-Identifier: MIT
/*
 * Capture file writer and reader. The header and frames are encoded
 * field by field in little-endian; record bodies are the events.h structs
 * as the kernel wrote them, which is little-endian on every target we
 * build for (checked below).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <agentrace/events.h>
#include <agentrace/inject.h>

#include "capture/file.h"
#include "common/safe_file.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "capture record bodies are stored in host order; add byte swapping for big-endian hosts"
#endif

/* Header field offsets; see docs/capture-format.md. */
#define OFF_VERSION 8
#define OFF_HDR_LEN 12
#define OFF_MONO2REAL 16
#define OFF_START 24
#define OFF_CHUNK_MAX 32
#define OFF_BOUNDED 36
#define OFF_HOSTNAME 40
#define OFF_VERSION_STR 104

#define WBUF_SIZE (256 * 1024)

struct capture_writer {
	int fd;
	bool close_fd; /* false for stdout */
	int err;       /* first error, sticky */
	size_t used;
	uint8_t buf[WBUF_SIZE];
};

struct capture_reader {
	FILE *f;
	bool close_f;  /* false for stdin */
	int err;       /* sticky */
	uint64_t pos;  /* offset of the next unread byte */
	uint64_t rec_off;
	uint32_t chunk_max;
	uint8_t *buf;  /* current record, grows up to AR_CAPTURE_REC_MAX */
	size_t cap;
	char msg[192];
};

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static uint32_t rec_crc(const void *rec, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), rec, (uInt)len);
}

/* Writes all of buf to fd. Returns 0 or a negative errno. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int capture_writer__flush(struct capture_writer *w)
{
	int err;

	if (w->err)
		return w->err;
	err = write_all(w->fd, w->buf, w->used);
	w->used = 0;
	if (err)
		w->err = err;
	return err;
}

/* Appends bytes to the buffer, flushing as it fills. Returns 0 or a
 * negative errno (sticky). */
static int wappend(struct capture_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	int err;

	while (len) {
		size_t n = WBUF_SIZE - w->used;

		if (n == 0) {
			err = capture_writer__flush(w);
			if (err)
				return err;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
	}
	return 0;
}

int capture_writer__open(const char *path, const struct capture_info *info,
			 struct capture_writer **out)
{
	uint8_t hdr[AR_CAPTURE_HDR_LEN] = { 0 };
	struct capture_writer *w;
	int err;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		/* Raw plaintext, credentials included: owner-only. */
		w->fd = safe_file__open(path, false);
		if (w->fd < 0) {
			err = w->fd;
			goto cleanup;
		}
		w->close_fd = true;
	}

	memcpy(hdr, AR_CAPTURE_MAGIC, AR_CAPTURE_MAGIC_LEN);
	put_u32(hdr + OFF_VERSION, AR_CAPTURE_VERSION);
	put_u32(hdr + OFF_HDR_LEN, AR_CAPTURE_HDR_LEN);
	put_u64(hdr + OFF_MONO2REAL, info->mono_to_real_ns);
	put_u64(hdr + OFF_START, info->start_unix_ns);
	put_u32(hdr + OFF_CHUNK_MAX, info->chunk_max);
	put_u32(hdr + OFF_BOUNDED, info->bounded_bytes);
	/* strnlen: the strings need not be terminated in the caller's copy;
	 * the last byte of each field stays NUL. */
	memcpy(hdr + OFF_HOSTNAME, info->hostname,
	       strnlen(info->hostname, sizeof(info->hostname) - 1));
	memcpy(hdr + OFF_VERSION_STR, info->agentrace_version,
	       strnlen(info->agentrace_version, sizeof(info->agentrace_version) - 1));
	err = wappend(w, hdr, sizeof(hdr));
	if (err)
		goto cleanup;
	*out = w;
	return 0;

cleanup:
	if (w->close_fd)
		close(w->fd);
	free(w);
	return err;
}

int capture_writer__write(struct capture_writer *w, const void *rec, size_t len)
{
	uint8_t frame[AR_CAPTURE_FRAME_LEN];
	int err;

	if (w->err)
		return w->err;
	if (len < sizeof(struct ar_event_hdr) || len > AR_CAPTURE_REC_MAX)
		return -EINVAL;
	put_u32(frame, (uint32_t)len);
	put_u32(frame + 4, rec_crc(rec, len));
	err = wappend(w, frame, sizeof(frame));
	if (err)
		return err;
	return wappend(w, rec, len);
}

int capture_writer__close(struct capture_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = capture_writer__flush(w);
	if (w->close_fd && close(w->fd) && !err)
		err = -errno;
	free(w);
	return err;
}

/* Records the first error with its message; returns -EBADMSG. */
__attribute__((format(printf, 3, 4)))
static int fail(struct capture_reader *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	r->rec_off = off;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err = -EBADMSG;
	return r->err;
}

/* Reads exactly len bytes. Returns the count read (short only at end of
 * file), or -EIO with the reader failed. */
static ssize_t read_n(struct capture_reader *r, void *buf, size_t len)
{
	size_t n = fread(buf, 1, len, r->f);

	if (n < len && ferror(r->f)) {
		snprintf(r->msg, sizeof(r->msg), "read error at offset %llu: %s",
			 (unsigned long long)(r->pos + n), strerror(errno ? errno : EIO));
		r->rec_off = r->pos + n;
		r->err = -EIO;
		return r->err;
	}
	r->pos += n;
	return (ssize_t)n;
}

/* Reads and checks the header. Returns 0, -EBADMSG or -EIO. */
static int read_header(struct capture_reader *r, struct capture_info *info)
{
	uint8_t fixed[AR_CAPTURE_HDR_LEN];
	uint32_t version, hdr_len;
	ssize_t n;

	n = read_n(r, fixed, 16);
	if (n < 0)
		return (int)n;
	if (memcmp(fixed, AR_CAPTURE_MAGIC, n < AR_CAPTURE_MAGIC_LEN ? (size_t)n : AR_CAPTURE_MAGIC_LEN))
		return fail(r, 0, "bad magic at offset 0: not an agentrace capture file");
	if (n < 16)
		return fail(r, (uint64_t)n,
			    "truncated header at offset %zd: need 16 bytes, file has %zd", n, n);
	version = get_u32(fixed + OFF_VERSION);
	if (version != AR_CAPTURE_VERSION)
		return fail(r, OFF_VERSION,
			    "unsupported capture version %u at offset %d (this build reads %d)",
			    version, OFF_VERSION, AR_CAPTURE_VERSION);
	hdr_len = get_u32(fixed + OFF_HDR_LEN);
	if (hdr_len < AR_CAPTURE_HDR_LEN || hdr_len > AR_CAPTURE_HDR_MAX)
		return fail(r, OFF_HDR_LEN, "bad header length %u at offset %d (expected %d..%d)",
			    hdr_len, OFF_HDR_LEN, AR_CAPTURE_HDR_LEN, AR_CAPTURE_HDR_MAX);
	n = read_n(r, fixed + 16, AR_CAPTURE_HDR_LEN - 16);
	if (n < 0)
		return (int)n;
	if (n < AR_CAPTURE_HDR_LEN - 16)
		return fail(r, 16, "truncated header at offset 16: need %u bytes, file has %zd",
			    hdr_len - 16, n);
	/* Fields a later minor revision appended: skip them. */
	for (uint32_t left = hdr_len - AR_CAPTURE_HDR_LEN; left;) {
		uint8_t skip[256];
		size_t want = left < sizeof(skip) ? left : sizeof(skip);

		n = read_n(r, skip, want);
		if (n < 0)
			return (int)n;
		if ((size_t)n < want)
			return fail(r, 16, "truncated header at offset 16: need %u bytes, file has %llu",
				    hdr_len - 16, (unsigned long long)(r->pos - 16));
		left -= (uint32_t)want;
	}

	memset(info, 0, sizeof(*info));
	info->mono_to_real_ns = get_u64(fixed + OFF_MONO2REAL);
	info->start_unix_ns = get_u64(fixed + OFF_START);
	info->chunk_max = get_u32(fixed + OFF_CHUNK_MAX);
	info->bounded_bytes = get_u32(fixed + OFF_BOUNDED);
	memcpy(info->hostname, fixed + OFF_HOSTNAME, sizeof(info->hostname) - 1);
	memcpy(info->agentrace_version, fixed + OFF_VERSION_STR,
	       sizeof(info->agentrace_version) - 1);
	r->chunk_max = info->chunk_max;
	return 0;
}

int capture_reader__open(const char *path, struct capture_info *info,
			 struct capture_reader **out)
{
	struct capture_reader *r;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		r->f = stdin;
	} else {
		r->f = fopen(path, "rbe");
		if (!r->f) {
			err = -errno;
			free(r);
			return err;
		}
		r->close_f = true;
	}
	err = read_header(r, info);
	if (err == -EBADMSG) {
		memset(info, 0, sizeof(*info));
		*out = r; /* so the caller can print capture_reader__error() */
		return err;
	}
	if (err) {
		capture_reader__close(r);
		return err;
	}
	r->rec_off = 0;
	*out = r;
	return 0;
}

/* Checks what the framing cannot: the record is a well-formed events.h
 * record. Returns 0 or -EBADMSG. */
static int check_record(struct capture_reader *r, uint64_t off, const uint8_t *rec, uint32_t len)
{
	const struct ar_event_hdr *h = (const void *)rec;
	size_t want = 0;

	switch (h->type) {
	case AR_EV_DATA: {
		const struct ar_data_event *d = (const void *)rec;

		if (len < sizeof(*d))
			return fail(r, off, "data record at offset %llu too short: %u bytes, need %zu",
				    (unsigned long long)off, len, sizeof(*d));
		if ((uint64_t)sizeof(*d) + d->len != len)
			return fail(r, off,
				    "data record at offset %llu: len field %u disagrees with record size %u",
				    (unsigned long long)off, d->len, len);
		if (r->chunk_max && d->len > r->chunk_max)
			return fail(r, off, "data record at offset %llu: len %u exceeds chunk_max %u",
				    (unsigned long long)off, d->len, r->chunk_max);
		if (d->dir > AR_DIR_INGRESS)
			return fail(r, off, "data record at offset %llu: bad direction %u",
				    (unsigned long long)off, d->dir);
		return 0;
	}
	case AR_EV_CONN_OPEN:
	case AR_EV_CONN_CLOSE:
		want = sizeof(struct ar_conn_event);
		break;
	case AR_EV_PROC_EXEC:
	case AR_EV_PROC_EXIT:
	case AR_EV_PROC_FORK:
	case AR_EV_PROC_HELD:
		want = sizeof(struct ar_proc_event);
		break;
	case AR_EV_PROC_INFO:
		want = sizeof(struct ar_proc_info);
		break;
	case AR_EV_PROC_RUNTIME:
		want = sizeof(struct ar_proc_runtime);
		break;
	case AR_EV_INJECT:
		want = sizeof(struct ar_inject_event);
		break;
	case AR_EV_TLS_ODD:
		want = sizeof(struct ar_tls_odd);
		break;
	case AR_EV_TARGET:
		want = sizeof(struct ar_target_event);
		break;
	case 0:
		return fail(r, off, "record at offset %llu has type 0", (unsigned long long)off);
	default:
		/* A newer writer's record type: consumers skip unknown types. */
		return 0;
	}
	if (len != want)
		return fail(r, off, "type %u record at offset %llu has %u bytes, expected %zu",
			    h->type, (unsigned long long)off, len, want);
	return 0;
}

int capture_reader__next(struct capture_reader *r, const void **rec, size_t *len)
{
	uint8_t frame[AR_CAPTURE_FRAME_LEN];
	uint64_t off = r->pos;
	uint32_t rlen, crc;
	ssize_t n;

	if (r->err)
		return r->err;
	n = read_n(r, frame, sizeof(frame));
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof(frame))
		return fail(r, off, "truncated record header at offset %llu: need %zu bytes, file has %zd",
			    (unsigned long long)off, sizeof(frame), n);
	rlen = get_u32(frame);
	crc = get_u32(frame + 4);
	if (rlen < sizeof(struct ar_event_hdr) || rlen > AR_CAPTURE_REC_MAX)
		return fail(r, off, "bad record length %u at offset %llu (allowed %zu..%u)", rlen,
			    (unsigned long long)off, sizeof(struct ar_event_hdr), AR_CAPTURE_REC_MAX);
	if (rlen > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		uint8_t *p;

		while (cap < rlen)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p) {
			snprintf(r->msg, sizeof(r->msg), "out of memory for record at offset %llu",
				 (unsigned long long)off);
			r->rec_off = off;
			return r->err = -ENOMEM;
		}
		r->buf = p;
		r->cap = cap;
	}
	n = read_n(r, r->buf, rlen);
	if (n < 0)
		return (int)n;
	if ((uint32_t)n < rlen)
		return fail(r, off, "truncated record at offset %llu: need %u bytes, file has %zd",
			    (unsigned long long)off, rlen, n);
	if (rec_crc(r->buf, rlen) != crc)
		return fail(r, off, "crc mismatch in record at offset %llu: stored %08x, computed %08x",
			    (unsigned long long)off, crc, rec_crc(r->buf, rlen));
	if (check_record(r, off, r->buf, rlen))
		return r->err;
	r->rec_off = off;
	*rec = r->buf;
	*len = rlen;
	return 1;
}

const char *capture_reader__error(const struct capture_reader *r)
{
	return r->msg;
}

uint64_t capture_reader__offset(const struct capture_reader *r)
{
	return r->rec_off;
}

void capture_reader__close(struct capture_reader *r)
{
	if (!r)
		return;
	if (r->close_f)
		fclose(r->f);
	free(r->buf);
	free(r);
}
