/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 checks for the encoders: OTLP string fields must be valid UTF-8
 * (collectors reject the whole request otherwise, and jansson refuses to
 * build such strings), but captured payloads can be cut mid-character.
 */
#ifndef AR_EXPORT_UTF8_H
#define AR_EXPORT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF). */
bool utf8__valid(const char *s, size_t n);

/* Returns a malloc'd copy of the NUL-terminated s with each invalid byte
 * replaced by U+FFFD, or NULL on -ENOMEM. */
char *utf8__sanitize(const char *s);

#endif
