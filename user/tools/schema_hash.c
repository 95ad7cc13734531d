// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "tools/schema_hash.h"

struct walk {
	char path[SCHEMA_HASH_MAX_PATH + 32];
	size_t path_len;
	uint64_t *h;    /* pair hashes, compacted now and then */
	size_t n, cap;
	size_t uniq;    /* n right after the last compaction */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts and deduplicates w->h; returns -E2BIG over the pair cap. */
static int compact(struct walk *w)
{
	size_t i, k = 0;

	qsort(w->h, w->n, sizeof(*w->h), cmp_u64);
	for (i = 0; i < w->n; i++)
		if (k == 0 || w->h[k - 1] != w->h[i])
			w->h[k++] = w->h[i];
	w->n = w->uniq = k;
	return k > SCHEMA_HASH_MAX_PAIRS ? -E2BIG : 0;
}

static int add_pair(struct walk *w, const char *type)
{
	size_t tl = strlen(type);
	uint64_t h;
	int err;

	/* "path type": the escaped path never holds a space */
	w->path[w->path_len] = ' ';
	memcpy(w->path + w->path_len + 1, type, tl);
	h = XXH3_64bits(w->path, w->path_len + 1 + tl);
	if (w->n == w->cap) {
		/* big arrays repeat their element pairs: compact before growing */
		if (w->n >= 2 * (w->uniq + 64)) {
			err = compact(w);
			if (err)
				return err;
		}
		if (w->n == w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 256;
			uint64_t *nh;

			if (nc > 4 * SCHEMA_HASH_MAX_PAIRS)
				return compact(w) ? -E2BIG : add_pair(w, type);
			nh = realloc(w->h, nc * sizeof(*nh));
			if (!nh)
				return -ENOMEM;
			w->h = nh;
			w->cap = nc;
		}
	}
	w->h[w->n++] = h;
	return 0;
}

static int push(struct walk *w, const char *s, size_t n)
{
	if (w->path_len + n > SCHEMA_HASH_MAX_PATH)
		return -E2BIG;
	memcpy(w->path + w->path_len, s, n);
	w->path_len += n;
	return 0;
}

static int push_key(struct walk *w, const char *key)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *k = (const unsigned char *)key;
	int err = push(w, ".", 1);

	for (; !err && *k; k++) {
		bool plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			     (*k >= '0' && *k <= '9') || *k == '_' || *k == '-';
		char esc[3] = { '~', hex[*k >> 4], hex[*k & 15] };

		err = plain ? push(w, (const char *)k, 1) : push(w, esc, 3);
	}
	return err;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

/* Depth is bounded by jansson's parser (and by the path cap). */
static int walk(struct walk *w, const json_t *v)
{
	size_t saved = w->path_len, i;
	const char *key;
	json_t *m;
	int err = add_pair(w, type_name(v));

	if (err)
		return err;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, m) {
			err = push_key(w, key);
			if (!err)
				err = walk(w, m);
			w->path_len = saved;
			if (err)
				return err;
		}
	} else if (json_is_array(v)) {
		err = push(w, "[]", 2);
		json_array_foreach(v, i, m) {
			if (!err)
				err = walk(w, m);
		}
		w->path_len = saved;
	}
	return err;
}

int schema_hash__value(const json_t *v, uint64_t *out)
{
	struct walk *w;
	XXH3_state_t *st = NULL;
	int err = -EINVAL;
	size_t i;

	if (!v)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path[0] = '$';
	w->path_len = 1;
	err = walk(w, v);
	if (!err)
		err = compact(w);
	if (err)
		goto cleanup;
	err = -ENOMEM;
	st = XXH3_createState();
	if (!st || XXH3_64bits_reset(st) != XXH_OK)
		goto cleanup;
	for (i = 0; i < w->n; i++) {
		uint8_t le[8];

		for (int b = 0; b < 8; b++)
			le[b] = (uint8_t)(w->h[i] >> (8 * b));
		XXH3_64bits_update(st, le, sizeof(le));
	}
	*out = XXH3_64bits_digest(st);
	err = 0;
cleanup:
	XXH3_freeState(st);
	free(w->h);
	free(w);
	return err;
}

int schema_hash__text(const char *buf, size_t len, uint64_t *out)
{
	json_t *v;
	int err;

	if (!buf || !len)
		return -EINVAL;
	/* integers as reals: huge ones still parse, and both are "number" */
	v = json_loadb(buf, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
	if (!v)
		return -EINVAL;
	err = schema_hash__value(v, out);
	json_decref(v);
	return err;
}
