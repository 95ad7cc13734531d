// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "trace/traceparent.h"

#define TRACESTATE_MAX_KEY 256
#define TRACESTATE_MAX_VALUE 256
#define TRACESTATE_MAX_TENANT 241
#define TRACESTATE_MAX_SYSTEM 14

static const char *const tp_names[TRACEPARENT__COUNT] = {
	[TRACEPARENT_OK] = "ok",
	[TRACEPARENT_ABSENT] = "absent",
	[TRACEPARENT_ERR_VERSION] = "bad_version",
	[TRACEPARENT_ERR_VERSION_FF] = "version_ff",
	[TRACEPARENT_ERR_LENGTH] = "bad_length",
	[TRACEPARENT_ERR_SEPARATOR] = "bad_separator",
	[TRACEPARENT_ERR_UPPERCASE] = "uppercase",
	[TRACEPARENT_ERR_NOT_HEX] = "not_hex",
	[TRACEPARENT_ERR_ZERO_TRACE_ID] = "zero_trace_id",
	[TRACEPARENT_ERR_ZERO_PARENT_ID] = "zero_parent_id",
	[TRACEPARENT_ERR_EXTRA_DATA] = "extra_data",
	[TRACEPARENT_ERR_DUPLICATE] = "duplicate",
};

static const char *const ts_names[TRACESTATE__COUNT] = {
	[TRACESTATE_OK] = "ok",
	[TRACESTATE_ERR_TOO_LONG] = "too_long",
	[TRACESTATE_ERR_TOO_MANY] = "too_many_members",
	[TRACESTATE_ERR_KEY] = "bad_key",
	[TRACESTATE_ERR_VALUE] = "bad_value",
	[TRACESTATE_ERR_DUP_KEY] = "duplicate_key",
};

const char *traceparent__res_str(enum traceparent_res r)
{
	return (unsigned)r < TRACEPARENT__COUNT ? tp_names[r] : "unknown";
}

const char *tracestate__res_str(enum tracestate_res r)
{
	return (unsigned)r < TRACESTATE__COUNT ? ts_names[r] : "unknown";
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Lowercase hex digit value; -2 for an uppercase hex digit, -1 else. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return -2;
	return -1;
}

/* Decodes the lowercase hex field v[start, start + 2 * nbytes) into out.
 * A '-' or the end inside the field means the field is too short. */
static enum traceparent_res hex_field(const char *v, size_t n, size_t start,
				      uint8_t *out, size_t nbytes)
{
	for (size_t i = 0; i < 2 * nbytes; i++) {
		size_t pos = start + i;
		int h;

		if (pos >= n || v[pos] == '-')
			return TRACEPARENT_ERR_LENGTH;
		h = hexval(v[pos]);
		if (h == -2)
			return TRACEPARENT_ERR_UPPERCASE;
		if (h < 0)
			return TRACEPARENT_ERR_NOT_HEX;
		if (i & 1)
			out[i / 2] |= (uint8_t)h;
		else
			out[i / 2] = (uint8_t)(h << 4);
	}
	return TRACEPARENT_OK;
}

/* The '-' that must follow a field; a letter or digit there means the
 * field ran long. */
static enum traceparent_res separator(const char *v, size_t n, size_t pos)
{
	if (pos >= n)
		return TRACEPARENT_ERR_LENGTH;
	if (v[pos] == '-')
		return TRACEPARENT_OK;
	return is_alnum(v[pos]) ? TRACEPARENT_ERR_LENGTH : TRACEPARENT_ERR_SEPARATOR;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

enum traceparent_res traceparent__parse(const char *v, size_t n,
					struct traceparent *out)
{
	enum traceparent_res r;
	int hi, lo;

	while (n && is_ows(v[0]))
		v++, n--;
	while (n && is_ows(v[n - 1]))
		n--;

	/* "When the version prefix cannot be parsed (it's not 2 hex
	 * characters followed by a dash), restart the trace." */
	if (n < 3 || v[2] != '-')
		return TRACEPARENT_ERR_VERSION;
	hi = hexval(v[0]);
	lo = hexval(v[1]);
	if (hi < 0 || lo < 0)
		return TRACEPARENT_ERR_VERSION;
	out->version = (uint8_t)(hi << 4 | lo);
	if (out->version == 0xff)
		return TRACEPARENT_ERR_VERSION_FF;

	/* Every version is parsed by the version-00 layout: fixed offsets. */
	if ((r = hex_field(v, n, 3, out->trace_id, 16)) ||
	    (r = separator(v, n, 35)) ||
	    (r = hex_field(v, n, 36, out->parent_id, 8)) ||
	    (r = separator(v, n, 52)) ||
	    (r = hex_field(v, n, 53, &out->flags, 1)))
		return r;

	if (n > TRACEPARENT_LEN) {
		char c = v[TRACEPARENT_LEN];

		if (is_alnum(c))
			return TRACEPARENT_ERR_LENGTH; /* flags ran long */
		/* Version 00 is exactly 55 chars; later versions may append
		 * fields, but only after a '-'. */
		if (out->version == 0)
			return TRACEPARENT_ERR_EXTRA_DATA;
		if (c != '-')
			return TRACEPARENT_ERR_SEPARATOR;
	}

	if (all_zero(out->trace_id, sizeof(out->trace_id)))
		return TRACEPARENT_ERR_ZERO_TRACE_ID;
	if (all_zero(out->parent_id, sizeof(out->parent_id)))
		return TRACEPARENT_ERR_ZERO_PARENT_ID;
	return TRACEPARENT_OK;
}

static bool name_is(const struct header_view *h, const char *name, size_t len)
{
	return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

enum traceparent_res traceparent__from_headers(const struct header_view *h,
					       size_t n, struct traceparent *out)
{
	const struct header_view *found = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!name_is(&h[i], "traceparent", 11))
			continue;
		if (found)
			return TRACEPARENT_ERR_DUPLICATE;
		found = &h[i];
	}
	if (!found)
		return TRACEPARENT_ABSENT;
	return traceparent__parse(found->value, found->value_len, out);
}

static bool is_lcalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_keychar(char c)
{
	return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' ||
	       c == '*' || c == '/';
}

/* first char must pass first(), the rest is keychar, len in [1, max]. */
static bool key_part(const char *k, size_t n, size_t max, bool (*first)(char))
{
	if (n == 0 || n > max || !first(k[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_keychar(k[i]))
			return false;
	return true;
}

static bool is_key_start(char c)
{
	return is_lcalpha(c) || is_digit(c);
}

/* simple-key, or Level 1's multi-tenant-key "tenant@system" (one '@',
 * system-id starting with a letter and at most 14 chars). */
static bool tracestate_key_ok(const char *k, size_t n)
{
	const char *at = memchr(k, '@', n);
	size_t tn;

	if (!at)
		return key_part(k, n, TRACESTATE_MAX_KEY, is_key_start);
	tn = (size_t)(at - k);
	return key_part(k, tn, TRACESTATE_MAX_TENANT, is_key_start) &&
	       key_part(at + 1, n - tn - 1, TRACESTATE_MAX_SYSTEM, is_lcalpha);
}

/* value = 0*255(chr) nblk-chr; trailing spaces were trimmed as OWS. */
static bool tracestate_value_ok(const char *v, size_t n)
{
	if (n == 0 || n > TRACESTATE_MAX_VALUE)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c > 0x7e || c == ',' || c == '=')
			return false;
	}
	return true;
}

enum tracestate_res tracestate__validate(const char *v, size_t n)
{
	struct {
		const char *p;
		size_t n;
	} keys[TRACESTATE_MAX_MEMBERS];
	size_t nkeys = 0, i = 0;

	if (n > TRACESTATE_MAX_LEN)
		return TRACESTATE_ERR_TOO_LONG;
	if (n == 0)
		return TRACESTATE_OK;
	while (i <= n) {
		const char *comma = memchr(v + i, ',', n - i);
		size_t end = comma ? (size_t)(comma - v) : n;
		size_t s = i, e = end;
		const char *eq;

		i = end + 1;
		while (s < e && is_ows(v[s]))
			s++;
		while (e > s && is_ows(v[e - 1]))
			e--;
		if (s == e)
			continue; /* empty members are allowed */
		if (nkeys == TRACESTATE_MAX_MEMBERS)
			return TRACESTATE_ERR_TOO_MANY;
		eq = memchr(v + s, '=', e - s);
		if (!eq)
			return TRACESTATE_ERR_VALUE;
		if (!tracestate_key_ok(v + s, (size_t)(eq - v) - s))
			return TRACESTATE_ERR_KEY;
		if (!tracestate_value_ok(eq + 1, e - (size_t)(eq - v) - 1))
			return TRACESTATE_ERR_VALUE;
		keys[nkeys].p = v + s;
		keys[nkeys].n = (size_t)(eq - v) - s;
		for (size_t k = 0; k < nkeys; k++)
			if (keys[k].n == keys[nkeys].n &&
			    memcmp(keys[k].p, keys[nkeys].p, keys[k].n) == 0)
				return TRACESTATE_ERR_DUP_KEY;
		nkeys++;
	}
	return TRACESTATE_OK;
}
