/* SPDX-License-Identifier: MIT */
/*
 * Capture files: a versioned header, then the ring-buffer records of
 * include/agentrace/events.h, each framed with its length and a CRC32.
 * Layout and versioning rules: docs/capture-format.md.
 */
#ifndef AR_CAPTURE_FILE_H
#define AR_CAPTURE_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Bump when the header or any record layout in events.h changes
 * incompatibly. Readers reject versions they do not know. */
#define AR_CAPTURE_VERSION 1
#define AR_CAPTURE_MAGIC "AGTRACE\0"
#define AR_CAPTURE_MAGIC_LEN 8
/* Header bytes written by this version (magic through padding). */
#define AR_CAPTURE_HDR_LEN 136
/* Readers refuse headers longer than this (garbage protection). */
#define AR_CAPTURE_HDR_MAX 65536
/* Largest record accepted by writer and reader. */
#define AR_CAPTURE_REC_MAX (1u << 20)
/* Frame before each record: u32 length, u32 crc32. */
#define AR_CAPTURE_FRAME_LEN 8

struct capture_info {
	uint64_t mono_to_real_ns; /* add to a monotonic ts to get unix ns */
	uint64_t start_unix_ns;   /* when the capture started */
	uint32_t chunk_max;       /* AR_CHUNK_MAX of the writer; 0 = unknown */
	uint32_t bounded_bytes;   /* bounded capture: processes that were not
				   * targets had each read/write copied up to
				   * this many bytes (the rest a gap); 0 = none */
	char hostname[64];        /* NUL-terminated */
	char agentrace_version[32]; /* NUL-terminated */
};

struct capture_writer;
struct capture_reader;

/* Creates (truncates) path, or uses stdout for "-", and buffers the
 * header. Returns 0, or a negative errno with *out = NULL. */
int capture_writer__open(const char *path, const struct capture_info *info,
			 struct capture_writer **out);
/* Appends one record (it must start with struct ar_event_hdr). Buffered.
 * Returns -EINVAL for a record shorter than the header or longer than
 * AR_CAPTURE_REC_MAX (nothing written), or a negative errno from a
 * buffer flush; after a write error every later call fails the same way. */
int capture_writer__write(struct capture_writer *w, const void *rec, size_t len);
/* Writes buffered bytes out. Returns 0 or a negative errno. */
int capture_writer__flush(struct capture_writer *w);
/* Flushes, closes and frees (NULL is a no-op). Returns the first error
 * the writer saw, or 0. */
int capture_writer__close(struct capture_writer *w);

/* Opens path ("-" is stdin) and reads the header into *info.
 * Returns 0; or -EBADMSG when the file is not a valid capture, in which
 * case *out is still set to a reader whose capture_reader__error() says
 * what and at which offset, and the caller must close it; or another
 * negative errno (-ENOENT, -ENOMEM, ...) with *out = NULL. */
int capture_reader__open(const char *path, struct capture_info *info,
			 struct capture_reader **out);
/* Reads the next record. Returns 1 with *rec and *len set (the memory is
 * reused by the next call), 0 at a clean end of file, or a negative
 * errno (-EBADMSG for a malformed or truncated record, -EIO for a read
 * error); after an error every later call returns the same error. */
int capture_reader__next(struct capture_reader *r, const void **rec, size_t *len);
/* Why the reader failed, with the byte offset; "" when it did not. */
const char *capture_reader__error(const struct capture_reader *r);
/* Byte offset of the frame of the record last returned by next(), or of
 * the place an error was found. 0 before the first record. */
uint64_t capture_reader__offset(const struct capture_reader *r);
/* Closes and frees (NULL is a no-op). */
void capture_reader__close(struct capture_reader *r);

#endif
