// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "trace/baggage.h"

static const char *const res_names[BAGGAGE__COUNT] = {
	[BAGGAGE_OK] = "ok",
	[BAGGAGE_ABSENT] = "absent",
	[BAGGAGE_ERR_TOO_LONG] = "too_long",
	[BAGGAGE_ERR_TOO_MANY] = "too_many_members",
	[BAGGAGE_ERR_MALFORMED] = "malformed",
	[BAGGAGE_ERR_PERCENT] = "bad_percent_encoding",
};

const char *baggage__res_str(enum baggage_res r)
{
	return (unsigned)r < BAGGAGE__COUNT ? res_names[r] : "unknown";
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 7230 tchar. */
static bool is_tchar(char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* baggage-octet: printable US-ASCII minus SP, DQUOTE, ',', ';', '\'. */
static bool is_octet(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 0x21 && u <= 0x7e && u != '"' && u != ',' && u != ';' &&
	       u != '\\';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

/* Percent-decodes v[0..n) into dst (room for n + 1) and NUL-terminates.
 * Returns the decoded length, or -1 for a bad escape, a NUL or a result
 * that is not UTF-8. '+' stays '+': this is not form encoding. */
static long percent_decode(const char *v, size_t n, char *dst)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (v[i] != '%') {
			dst[o++] = v[i];
			continue;
		}
		if (n - i < 3)
			return -1;
		hi = hexval(v[i + 1]);
		lo = hexval(v[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		dst[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[o] = '\0';
	return utf8_ok((const unsigned char *)dst, o) ? (long)o : -1;
}

struct cursor {
	const char *s;
	size_t n, pos;
};

static void skip_ows(struct cursor *c)
{
	while (c->pos < c->n && is_ows(c->s[c->pos]))
		c->pos++;
}

static size_t take(struct cursor *c, bool (*ok)(char))
{
	size_t start = c->pos;

	while (c->pos < c->n && ok(c->s[c->pos]))
		c->pos++;
	return c->pos - start;
}

static bool at(const struct cursor *c, char ch)
{
	return c->pos < c->n && c->s[c->pos] == ch;
}

/* Properties after a value, cursor on the first ';'. On success the
 * cursor sits after the last property's trailing OWS and *end marks
 * the end of the last non-OWS byte. */
static bool parse_props(struct cursor *c, size_t *end)
{
	while (at(c, ';')) {
		c->pos++;
		skip_ows(c);
		if (!take(c, is_tchar))
			return false;
		*end = c->pos;
		skip_ows(c);
		if (at(c, '=')) {
			c->pos++;
			skip_ows(c);
			take(c, is_octet);
			*end = c->pos;
			skip_ows(c);
		}
	}
	return true;
}

enum baggage_res baggage__parse(struct baggage *b, const char *s, size_t n)
{
	struct cursor c = { .s = s, .n = n };
	enum baggage_res r = BAGGAGE_ERR_MALFORMED;
	char *out = b->buf;

	b->n = 0;
	while (c.n && is_ows(c.s[c.n - 1]))
		c.n--;
	if (c.n > BAGGAGE_MAX_BYTES)
		return BAGGAGE_ERR_TOO_LONG;
	skip_ows(&c);
	if (c.pos == c.n)
		return BAGGAGE_OK;

	for (;;) {
		struct baggage_member *m;
		size_t vstart, vlen, pend;
		long dlen;

		skip_ows(&c);
		if (b->n == BAGGAGE_MAX_MEMBERS) {
			r = BAGGAGE_ERR_TOO_MANY;
			goto cleanup;
		}
		m = &b->m[b->n];
		m->key = c.s + c.pos;
		m->key_len = take(&c, is_tchar);
		if (!m->key_len)
			goto cleanup;
		skip_ows(&c);
		if (!at(&c, '='))
			goto cleanup;
		c.pos++;
		skip_ows(&c);
		vstart = c.pos;
		vlen = take(&c, is_octet);
		skip_ows(&c);
		m->props = NULL;
		m->props_len = 0;
		if (at(&c, ';')) {
			size_t pstart = c.pos + 1;

			if (!parse_props(&c, &pend))
				goto cleanup;
			while (pstart < pend && is_ows(c.s[pstart]))
				pstart++;
			m->props = c.s + pstart;
			m->props_len = pend - pstart;
		}
		if (c.pos < c.n && !at(&c, ','))
			goto cleanup;
		dlen = percent_decode(c.s + vstart, vlen, out);
		if (dlen < 0) {
			r = BAGGAGE_ERR_PERCENT;
			goto cleanup;
		}
		m->value = out;
		m->value_len = (size_t)dlen;
		out += dlen + 1;
		b->n++;
		if (c.pos == c.n)
			return BAGGAGE_OK;
		c.pos++; /* ',' : another member must follow */
	}
cleanup:
	b->n = 0;
	return r;
}

enum baggage_res baggage__from_headers(struct baggage *b,
				       const struct header_view *h, size_t n)
{
	bool found = false;
	size_t len = 0;

	b->n = 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = h[i].value;
		size_t vn = h[i].value_len;

		if (h[i].name_len != 7 || strncasecmp(h[i].name, "baggage", 7))
			continue;
		found = true;
		while (vn && is_ows(v[0]))
			v++, vn--;
		while (vn && is_ows(v[vn - 1]))
			vn--;
		if (!vn)
			continue;
		if (len + !!len + vn > BAGGAGE_MAX_BYTES)
			return BAGGAGE_ERR_TOO_LONG;
		if (len)
			b->raw[len++] = ',';
		memcpy(b->raw + len, v, vn);
		len += vn;
	}
	if (!found)
		return BAGGAGE_ABSENT;
	return baggage__parse(b, b->raw, len);
}

const struct baggage_member *baggage__get(const struct baggage *b,
					  const char *key)
{
	size_t kn = strlen(key);

	for (size_t i = 0; i < b->n; i++)
		if (b->m[i].key_len == kn && memcmp(b->m[i].key, key, kn) == 0)
			return &b->m[i];
	return NULL;
}
