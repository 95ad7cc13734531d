// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "graph/norm.h"

static inline bool is_ws(char c)
{
	/* one compare for the common case: every whitespace byte is <= ' ' */
	return (unsigned char)c <= ' ' &&
	       (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v');
}

char *norm__ws(const char *s, size_t n, size_t *len)
{
	char *o = malloc(n + 1);
	size_t k = 0;
	bool gap = false;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (is_ws(s[i])) {
			gap = k > 0;
			continue;
		}
		if (gap)
			o[k++] = ' ';
		gap = false;
		o[k++] = s[i];
	}
	o[k] = '\0';
	*len = k;
	return o;
}

static char *dump_sorted(const json_t *v, size_t *len)
{
	char *o = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (o)
		*len = strlen(o);
	return o;
}

char *norm__text(const char *s, size_t n, size_t *len)
{
	size_t i = 0;

	while (i < n && is_ws(s[i]))
		i++;
	/* only containers: "12" and "true" stay text */
	if (i < n && (s[i] == '{' || s[i] == '[')) {
		json_t *v = json_loadb(s, n, JSON_DECODE_ANY, NULL);

		if (v) {
			char *o = dump_sorted(v, len);

			json_decref(v);
			return o;
		}
	}
	return norm__ws(s, n, len);
}

char *norm__value_text(const json_t *v, size_t *len)
{
	if (!v) {
		*len = 0;
		return strdup("");
	}
	if (json_is_string(v)) {
		char *o = malloc(json_string_length(v) + 1);

		if (o) {
			memcpy(o, json_string_value(v), json_string_length(v) + 1);
			*len = json_string_length(v);
		}
		return o;
	}
	return dump_sorted(v, len);
}

char *norm__result_text(const json_t *v, size_t *len)
{
	const json_t *b, *t;
	size_t i, n = 0;
	char *o;

	if (!json_is_array(v) || !json_array_size(v))
		return norm__value_text(v, len);
	json_array_foreach(v, i, b) {
		t = json_object_get(b, "text");
		if (!json_is_string(t) || json_object_size(b) > 2)
			return norm__value_text(v, len);
		n += json_string_length(t);
	}
	o = malloc(n + 1);
	if (!o)
		return NULL;
	n = 0;
	json_array_foreach(v, i, b) {
		t = json_object_get(b, "text");
		memcpy(o + n, json_string_value(t), json_string_length(t));
		n += json_string_length(t);
	}
	o[n] = '\0';
	*len = n;
	return o;
}

static int leaves(const json_t *v, bool ints, int (*fn)(void *, const char *, size_t),
		  void *ctx, int depth)
{
	const char *k;
	json_t *e;
	size_t i;
	char num[32];
	int err = 0;

	if (depth > 8)
		return 0;
	if (json_is_string(v))
		return fn(ctx, json_string_value(v), json_string_length(v));
	if (json_is_integer(v) && ints) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return fn(ctx, num, strlen(num));
	}
	if (json_is_object(v))
		json_object_foreach((json_t *)v, k, e)
			if ((err = leaves(e, ints, fn, ctx, depth + 1)))
				return err;
	if (json_is_array(v))
		json_array_foreach(v, i, e)
			if ((err = leaves(e, ints, fn, ctx, depth + 1)))
				return err;
	return 0;
}

int norm__leaves(const json_t *v, bool ints, int (*fn)(void *ctx, const char *s, size_t n),
		 void *ctx)
{
	return leaves(v, ints, fn, ctx, 0);
}

/* Feeds a length as 8 little-endian bytes after its bytes, so "ab"+"c"
 * and "a"+"bc" differ. */
static void feed_len(XXH3_state_t *st, size_t n)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)((uint64_t)n >> (8 * i));
	XXH3_64bits_update(st, le, sizeof(le));
}

static void feed(XXH3_state_t *st, const char *s, size_t n)
{
	XXH3_64bits_update(st, s ? s : "", n);
	feed_len(st, n);
}

static void feed_str(XXH3_state_t *st, const char *s)
{
	feed(st, s, s ? strlen(s) : 0);
}

/* Whether the 8 bytes at s hold no control byte and no two spaces in a
 * row, so that none ends a run of feed_ws (word tests; a false "no" only
 * sends the bytes to the byte loop). */
static inline bool plain8(const char *s)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t x, sp;

	memcpy(&x, s, 8);
	if ((x - ones * 0x20) & ~x & highs)
		return false;
	sp = x ^ (ones * ' ');
	sp = (sp - ones) & ~sp & highs; /* spaces (and maybe a byte after one) */
	return !(sp & (sp >> 8));
}

/* Feeds norm__ws(s) without allocating or copying: runs of text whose
 * whitespace is single spaces go to the hash as they are, each other
 * whitespace run as one space. */
static void feed_ws(XXH3_state_t *st, const char *s, size_t n)
{
	size_t i = 0, j, total = 0;

	while (i < n && is_ws(s[i]))
		i++;
	while (i < n) {
		/* whole words first; s[j + 8] is read, and must not be a space
		 * after one at s[j + 7] */
		for (j = i; j + 9 <= n && plain8(s + j) && !(s[j + 7] == ' ' && is_ws(s[j + 8]));)
			j += 8;
		for (; j < n; j++)
			if (is_ws(s[j]) && (s[j] != ' ' || j + 1 == n || is_ws(s[j + 1])))
				break;
		XXH3_64bits_update(st, s + i, j - i);
		total += j - i;
		while (j < n && is_ws(s[j]))
			j++;
		if (j < n) {
			XXH3_64bits_update(st, " ", 1);
			total++;
		}
		i = j;
	}
	feed_len(st, total);
}

/* Feeds the normal form of text s[0..n). Returns false on -ENOMEM. */
static bool feed_text(XXH3_state_t *st, const char *s, size_t n)
{
	size_t i = 0, m;
	char *t;

	while (i < n && is_ws(s[i]))
		i++;
	if (i == n || (s[i] != '{' && s[i] != '[')) {
		feed_ws(st, s, n);
		return true;
	}
	t = norm__text(s, n, &m);
	if (!t)
		return false;
	feed(st, t, m);
	free(t);
	return true;
}

/* Feeds the normal form of a value's text. Returns false on -ENOMEM. */
static bool feed_norm(XXH3_state_t *st, const json_t *v)
{
	size_t n;
	char *raw;
	bool ok;

	if (json_is_string(v))
		return feed_text(st, json_string_value(v), json_string_length(v));
	raw = norm__value_text(v, &n);
	if (!raw)
		return false;
	ok = feed_text(st, raw, n);
	free(raw);
	return ok;
}

uint64_t norm__msg_hash(const json_t *msg)
{
	XXH3_state_t st;
	const json_t *p;
	size_t i;

	if (XXH3_64bits_reset(&st) != XXH_OK)
		return 0;
	feed_str(&st, json_string_value(json_object_get(msg, "role")));
	json_array_foreach(json_object_get(msg, "parts"), i, p) {
		const char *type = json_string_value(json_object_get(p, "type"));

		if (!type || !strcmp(type, "reasoning"))
			continue;
		feed_str(&st, type);
		if (!strcmp(type, "text")) {
			if (!feed_norm(&st, json_object_get(p, "content")))
				return 0;
		} else if (!strcmp(type, "tool_call")) {
			feed_str(&st, json_string_value(json_object_get(p, "id")));
		} else if (!strcmp(type, "tool_call_response")) {
			feed_str(&st, json_string_value(json_object_get(p, "id")));
			if (!feed_norm(&st, json_object_get(p, "response")))
				return 0;
		}
	}
	return XXH3_64bits_digest(&st);
}

/* What norm__msg_hash gives for {"role":"assistant","parts":[text?,
 * tool_call{id}...]}, without building it. */
uint64_t norm__out_hash(const char *text, size_t len, const char *const *ids, size_t n_ids)
{
	XXH3_state_t st;

	if (XXH3_64bits_reset(&st) != XXH_OK)
		return 0;
	feed_str(&st, "assistant");
	if (len) {
		feed_str(&st, "text");
		if (!feed_text(&st, text, len))
			return 0;
	}
	for (size_t i = 0; i < n_ids; i++) {
		feed_str(&st, "tool_call");
		feed_str(&st, ids[i]);
	}
	return XXH3_64bits_digest(&st);
}

uint64_t norm__roll(uint64_t prev, uint64_t msg)
{
	uint8_t b[16];

	/* little-endian bytes, so every host agrees */
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(prev >> (8 * i));
		b[8 + i] = (uint8_t)(msg >> (8 * i));
	}
	return XXH3_64bits(b, sizeof(b));
}
