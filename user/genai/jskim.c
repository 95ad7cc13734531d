// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "genai/jskim.h"

/* The common scalars without a jansson parser round trip. */
static json_t *load_small(const char *v, size_t n)
{
	char num[64];

	if (n >= 2 && v[0] == '"' && !memchr(v, '\\', n))
		return json_stringn(v + 1, n - 2);
	if (n == 4 && memcmp(v, "true", 4) == 0)
		return json_true();
	if (n == 5 && memcmp(v, "false", 5) == 0)
		return json_false();
	if (n == 4 && memcmp(v, "null", 4) == 0)
		return json_null();
	if (n < sizeof(num) && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))) {
		char *e;

		memcpy(num, v, n);
		num[n] = '\0';
		if (!strpbrk(num, ".eE")) {
			long long i = strtoll(num, &e, 10);

			if (*e == '\0')
				return json_integer(i);
		} else {
			double d = strtod(num, &e);

			if (*e == '\0')
				return json_real(d);
		}
	}
	return json_loadb(v, n, JSON_DECODE_ANY, NULL);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* p at the opening quote; returns just past the closing one, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	p++;
	while (p < end) {
		const char *q = memchr(p, '"', end - p);
		const char *b;

		if (!q)
			return NULL;
		/* an odd run of backslashes before the quote escapes it */
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0)
			return q + 1;
		p = q + 1;
	}
	return NULL;
}

/* Returns just past the value starting at p, or NULL if malformed/cut. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		       *p != '\n' && *p != '\r' && *p != '\t')
			p++;
		return p;
	}
	while (p < end) {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (!p)
				return NULL;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return NULL;
}

json_t *genai__json_skim(const char *b, size_t n, size_t small_max, bool *complete)
{
	const char *p = b, *end = b + n;
	json_t *o;

	*complete = false;
	p = skip_ws(p, end);
	if (p == end || *p != '{')
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		*complete = true;
		return o;
	}
	while (p < end) {
		const char *k = p, *ke, *v, *ve;
		json_t *key, *val;

		if (*k != '"' || !(ke = skip_string(k, end)))
			break;
		p = skip_ws(ke, end);
		if (p == end || *p != ':')
			break;
		v = skip_ws(p + 1, end);
		ve = skip_value(v, end);
		if (!ve || ve == v)
			break;
		if ((size_t)(ve - v) <= small_max)
			val = load_small(v, ve - v);
		else if (*v == '[')
			val = json_array();
		else if (*v == '{')
			val = json_object();
		else
			val = json_string("");
		key = load_small(k, ke - k);
		if (json_is_string(key) && val)
			json_object_setn_new(o, json_string_value(key), json_string_length(key), val);
		else
			json_decref(val);
		json_decref(key);
		p = skip_ws(ve, end);
		if (p < end && *p == '}') {
			*complete = skip_ws(p + 1, end) == end;
			return o;
		}
		if (p == end || *p != ',')
			break;
		p = skip_ws(p + 1, end);
	}
	return o;
}

int genai__json_one_str(const char *d, size_t n, const char *key, json_t **out)
{
	size_t kl = strlen(key);
	const char *end = d + n, *k, *p, *ve;

	*out = NULL;
	k = memmem(d, n, key, kl);
	if (!k || memmem(k + kl, end - k - kl, key, kl))
		return 0;
	p = skip_ws(k + kl, end);
	if (p == end || *p != ':')
		return 0;
	p = skip_ws(p + 1, end);
	if (end - p >= 4 && memcmp(p, "null", 4) == 0)
		return 1;
	if (p == end || *p != '"' || !(ve = skip_string(p, end)))
		return 0;
	*out = load_small(p, ve - p);
	return *out ? 1 : 0;
}
