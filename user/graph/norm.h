/* SPDX-License-Identifier: MIT */
/*
 * Normal forms of message content, so that the same conversation hashes
 * the same on every node whatever the JSON key order or whitespace:
 * JSON text is re-serialised compactly with sorted keys, any other text
 * has its whitespace runs collapsed to one space and its ends trimmed.
 * Hashes are XXH3-64 (endian-independent), shown as 16 hex digits.
 */
#ifndef AR_GRAPH_NORM_H
#define AR_GRAPH_NORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Normal form of s[0..n) as a malloc'd NUL-terminated string (*len set),
 * or NULL on -ENOMEM. */
char *norm__text(const char *s, size_t n, size_t *len);
/* Whitespace runs collapsed and ends trimmed, no JSON step. Same contract. */
char *norm__ws(const char *s, size_t n, size_t *len);
/* The text a JSON value stands for: a string's value, else the compact
 * sorted serialisation. Same contract; NULL v gives "". */
char *norm__value_text(const json_t *v, size_t *len);
/* A tool result's text: a list of text blocks ([{"type":"text","text":..}],
 * as Anthropic, Bedrock and MCP carry them) stands for its joined text,
 * anything else as norm__value_text. Same contract. */
char *norm__result_text(const json_t *v, size_t *len);

/* Calls fn(ctx, s, n) on each leaf string of v (and each integer, as its
 * decimal text, when ints is set), depth-first down to 8 levels; true,
 * false, null and reals say too little and are skipped. Stops at fn's
 * first non-zero return and returns it; else 0. */
int norm__leaves(const json_t *v, bool ints, int (*fn)(void *ctx, const char *s, size_t n),
		 void *ctx);

/*
 * Hash of one semconv message ({"role", "parts"}): the role, then per
 * part its kind and what identifies it: text (normalised), tool-call ids,
 * tool-result ids and normalised results. Reasoning parts are left out
 * (clients do not send them back). Returns 0 when memory ran out, which
 * callers treat as "no hash".
 */
uint64_t norm__msg_hash(const json_t *msg);
/* The assistant message a response stands for, as a later request will
 * carry it: its text and its tool-call ids. */
uint64_t norm__out_hash(const char *text, size_t len, const char *const *ids, size_t n_ids);
/* The rolling hash of a conversation after one more message. */
uint64_t norm__roll(uint64_t prev, uint64_t msg);

#endif
