// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "genai/jskim.h"

static const char *skip_ws(const char *p, const char *end);
static const char *skip_string(const char *p, const char *end);

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
	return genai__json_load(v, n, JSON_DECODE_ANY);
}

static const char *skip_ws(const char *p, const char *end)
{
	if (p < end && *p > ' ')
		return p;
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* Advances p over string bytes that need no look (no quote, backslash or
 * control byte) and ORs their high bits into *hi. SSE2 takes 16 bytes a
 * step and finds the stop byte in the block, so a string with escapes
 * (LLM text is full of \n) does not fall back to a byte loop after the
 * first; elsewhere the usual zero-byte and less-than word tests take 8. */
static inline const char *plain_run(const char *p, const char *end, unsigned *hi)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), c = _mm_set1_epi8(0x1f);

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)p);
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, b)),
					    _mm_cmpeq_epi8(_mm_min_epu8(x, c), x));
		unsigned m = (unsigned)_mm_movemask_epi8(stop), h = (unsigned)_mm_movemask_epi8(x);

		if (m) {
			m = (unsigned)__builtin_ctz(m);
			*hi |= h & ((1u << m) - 1);
			return p + m;
		}
		*hi |= h;
		p += 16;
	}
#else
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;

	for (; end - p >= 8; p += 8) {
		uint64_t x, q, b;

		memcpy(&x, p, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs)
			break;
		*hi |= (x & highs) != 0;
	}
#endif
	for (; p < end; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\' || ch < 0x20)
			break;
		*hi |= ch & 0x80;
	}
	return p;
}

/* p at the opening quote; returns just past the closing one, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	unsigned hi = 0;

	for (p++;;) {
		p = plain_run(p, end, &hi);
		if (p == end)
			return NULL;
		if (*p == '"')
			return p + 1;
		/* a backslash takes the next byte; a control byte is skipped */
		p += *p == '\\' ? 2 : 1;
		if (p > end)
			return NULL;
	}
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

/* Keys whose arrays/objects hold conversation content, which nothing reads
 * without content capture: an empty container keeps their shape. */
static bool bulk_key(const char *k, size_t n)
{
	static const char *const keys[] = { "messages", "tools", "contents", "content",
					    "requests", "input", "system", "prompt",
					    "instructions" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
			return true;
	return false;
}

static bool is_member(const struct genai_jmember *m, const char *k, size_t kl)
{
	return m && strlen(m->key) == kl && memcmp(m->key, k, kl) == 0;
}

json_t *genai__json_skim(const char *b, size_t n, size_t small_max, bool *complete,
			 struct genai_jmember *m)
{
	const char *p = b, *end = b + n;
	json_t *o;

	*complete = false;
	if (m)
		m->v = NULL;
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
		if (is_member(m, k + 1, ke - k - 2)) {
			m->v = v;
			m->n = ve - v;
		}
		if ((size_t)(ve - v) <= small_max &&
		    !((*v == '[' || *v == '{') && bulk_key(k + 1, ke - k - 2)))
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

/* ---- fast loader ---- */

/* Deeper documents go to jansson, whose limit is higher. */
#define FAST_MAX_DEPTH 64

struct fast {
	const char *p, *end;
	int depth;
	struct genai_jmember *m; /* a top-level member to report, or NULL */
	genai_jkeep_fn *keep; /* whether to build a member; NULL: all */
	int skip; /* > 0 inside a member keep leaves out: check, build nothing */
};

/* What a value being skipped stands for: jansson's null is a static
 * singleton, so this allocates nothing and json_decref of it is free. */
#define SKIPPED json_null()


static json_t *fast_value(struct fast *f);

/* p at the opening quote. Sets *esc when the string has escapes (the
 * caller then lets jansson decode it) and *ascii when every byte is ASCII
 * (valid UTF-8 without jansson's check). Returns just past the closing
 * quote, or NULL on a raw control byte or a cut string. */
static const char *fast_string_end(const char *p, const char *end, bool *esc, bool *ascii)
{
	unsigned hi = 0;

	*esc = false;
	for (p++;;) {
		p = plain_run(p, end, &hi);
		if (p == end)
			return NULL;
		if (*p == '"') {
			*ascii = !hi;
			return p + 1;
		}
		if (*p != '\\' || end - p < 2)
			return NULL; /* a control byte, or a cut escape */
		/* the escaped byte is jansson's to judge */
		*esc = true;
		p += 2;
	}
}

static json_t *fast_string(struct fast *f)
{
	const char *s = f->p, *e;
	bool esc, ascii;
	json_t *v;

	e = fast_string_end(s, f->end, &esc, &ascii);
	if (!e)
		return NULL;
	f->p = e;
	if (f->skip && ascii && !esc)
		return SKIPPED;
	if (esc)
		v = json_loadb(s, e - s, JSON_DECODE_ANY, NULL);
	else if (ascii)
		return json_stringn_nocheck(s + 1, e - s - 2);
	else
		v = json_stringn(s + 1, e - s - 2); /* NULL on invalid UTF-8 */
	if (v && f->skip) {
		json_decref(v);
		return SKIPPED;
	}
	return v;
}

/* The JSON number grammar, strictly, so what jansson rejects fails here. */
static json_t *fast_number(struct fast *f)
{
	const char *p = f->p, *end = f->end, *s = p;
	bool real = false;
	char num[64], *e;
	size_t n;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < end && *p == '.') {
		real = true;
		if (++p == end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = true;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	n = p - s;
	if (!real && n <= 18) {
		/* at most 18 digits: no overflow, no strtoll round trip */
		long long i = 0;

		for (const char *d = s + (*s == '-'); d < p; d++)
			i = i * 10 + (*d - '0');
		f->p = p;
		return f->skip ? SKIPPED : json_integer(*s == '-' ? -i : i);
	}
	if (n >= sizeof(num))
		return NULL;
	memcpy(num, s, n);
	num[n] = '\0';
	f->p = p;
	errno = 0;
	if (!real) {
		long long i = strtoll(num, &e, 10);

		return errno ? NULL : f->skip ? SKIPPED : json_integer(i);
	} else {
		double d = strtod(num, &e);

		return errno ? NULL : f->skip ? SKIPPED : json_real(d);
	}
}

/* The reported member's value: built, or with m->skip an empty stand-in
 * for a container, whose end is found by bracket matching. */
static json_t *fast_member(struct fast *f)
{
	const char *v = f->p, *ve;
	json_t *o;

	if (f->m->skip && v < f->end && (*v == '[' || *v == '{')) {
		ve = skip_value(v, f->end);
		o = !ve ? NULL : *v == '[' ? json_array() : json_object();
	} else {
		o = fast_value(f);
		ve = f->p;
	}
	if (!o)
		return NULL;
	f->p = ve;
	f->m->v = v;
	f->m->n = ve - v;
	return o;
}

static json_t *fast_object(struct fast *f)
{
	json_t *o = f->skip ? SKIPPED : json_object(), *v;
	const char *k, *ke;
	bool esc, ascii, drop;
	int err;

	if (!o)
		return NULL;
	f->p = skip_ws(f->p + 1, f->end);
	if (f->p < f->end && *f->p == '}') {
		f->p++;
		return o;
	}
	while (f->p < f->end && *f->p == '"') {
		k = f->p;
		ke = fast_string_end(k, f->end, &esc, &ascii);
		if (!ke || esc) /* escaped keys (NUL, ...) are jansson's call */
			goto fail;
		f->p = skip_ws(ke, f->end);
		if (f->p == f->end || *f->p != ':')
			goto fail;
		f->p = skip_ws(f->p + 1, f->end);
		drop = f->keep && !f->skip && !f->keep(k + 1, ke - k - 2);
		f->skip += drop;
		if (f->depth == 1 && is_member(f->m, k + 1, ke - k - 2))
			v = fast_member(f);
		else
			v = fast_value(f);
		f->skip -= drop;
		if (!v)
			goto fail;
		/* an ASCII key needs no UTF-8 check; setn_new* drop v on failure;
		 * a key left out is still checked, as jansson would */
		if (f->skip || drop) {
			json_decref(v);
			v = ascii ? SKIPPED : json_stringn(k + 1, ke - k - 2);
			err = !v;
			json_decref(v);
		} else {
			err = ascii ? json_object_setn_new_nocheck(o, k + 1, ke - k - 2, v)
				    : json_object_setn_new(o, k + 1, ke - k - 2, v);
		}
		if (err)
			goto fail;
		f->p = skip_ws(f->p, f->end);
		if (f->p < f->end && *f->p == '}') {
			f->p++;
			return o;
		}
		if (f->p == f->end || *f->p != ',')
			goto fail;
		f->p = skip_ws(f->p + 1, f->end);
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *fast_array(struct fast *f)
{
	json_t *a = f->skip ? SKIPPED : json_array(), *v;

	if (!a)
		return NULL;
	f->p = skip_ws(f->p + 1, f->end);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return a;
	}
	while (f->p < f->end) {
		v = fast_value(f);
		if (!v || (f->skip ? (json_decref(v), 0) : json_array_append_new(a, v)))
			break;
		f->p = skip_ws(f->p, f->end);
		if (f->p < f->end && *f->p == ']') {
			f->p++;
			return a;
		}
		if (f->p == f->end || *f->p != ',')
			break;
		f->p = skip_ws(f->p + 1, f->end);
	}
	json_decref(a);
	return NULL;
}

static json_t *fast_value(struct fast *f)
{
	const char *p = f->p;
	size_t left = f->end - p;
	json_t *v;

	if (!left)
		return NULL;
	switch (*p) {
	case '"':
		return fast_string(f);
	case '{':
	case '[':
		if (++f->depth > FAST_MAX_DEPTH)
			return NULL;
		v = *p == '{' ? fast_object(f) : fast_array(f);
		f->depth--;
		return v;
	case 't':
		if (left < 4 || memcmp(p, "true", 4))
			return NULL;
		f->p += 4;
		return json_true();
	case 'f':
		if (left < 5 || memcmp(p, "false", 5))
			return NULL;
		f->p += 5;
		return json_false();
	case 'n':
		if (left < 4 || memcmp(p, "null", 4))
			return NULL;
		f->p += 4;
		return json_null();
	default:
		return fast_number(f);
	}
}

static json_t *load(const char *b, size_t n, size_t flags, struct genai_jmember *m,
		    genai_jkeep_fn *keep)
{
	struct fast f = { .p = b, .end = b + n, .m = m, .keep = keep };
	json_t *v;

	if (m)
		m->v = NULL;
	f.p = skip_ws(f.p, f.end);
	if (f.p < f.end && (*f.p == '{' || *f.p == '[' || (flags & JSON_DECODE_ANY))) {
		v = fast_value(&f);
		if (v && skip_ws(f.p, f.end) == f.end)
			return v;
		json_decref(v);
	}
	if (m)
		m->v = NULL; /* jansson's parse says nothing about where it was */
	return json_loadb(b, n, flags, NULL);
}

json_t *genai__json_load(const char *b, size_t n, size_t flags)
{
	return load(b, n, flags, NULL, NULL);
}

json_t *genai__json_load_member(const char *b, size_t n, struct genai_jmember *m)
{
	return load(b, n, 0, m, NULL);
}

json_t *genai__json_load_keys(const char *b, size_t n, genai_jkeep_fn *keep)
{
	return load(b, n, 0, NULL, keep);
}

json_t *genai__json_str_at(const char *v, size_t n)
{
	struct fast f = { .p = v, .end = v + n };

	return n && *v == '"' ? fast_string(&f) : NULL;
}

bool genai__json_raw_nonempty_array(const char *v, size_t n)
{
	const char *p;

	if (!v || !n || *v != '[')
		return false;
	p = skip_ws(v + 1, v + n);
	return p < v + n && *p != ']';
}
