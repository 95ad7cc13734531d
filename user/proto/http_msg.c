// SPDX-License-Identifier: MIT
/* Building one HTTP message from llhttp callbacks into owned storage. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http_msg.h"

/* A header block of tiny headers could otherwise make a huge ref array. */
#define HTTP_MSG_MAX_HEADERS 1024
#define CE_JOIN_MAX 256

void http_msg__init(struct http_msg *m, size_t hdr_cap, size_t body_cap)
{
	memset(m, 0, sizeof(*m));
	m->hdr_cap = hdr_cap;
	/* raw holds the header bytes plus NULs and derived copies of values */
	m->raw.cap = 3 * hdr_cap + 64;
	m->body.cap = body_cap;
	m->body.evictable = true;
	m->target_off = m->host_off = m->ctype_off = HTTP_MSG_NONE;
	m->host_idx = m->ctype_idx = HTTP_MSG_NONE;
}

void http_msg__reset(struct http_msg *m, size_t keep)
{
	body_buf__reset(&m->raw, keep);
	body_buf__reset(&m->body, keep);
	if (m->dec) {
		decode__free(m->dec);
		m->dec = NULL;
	}
	if (m->cap_hdrs * sizeof(*m->hdrs) > keep) {
		free(m->hdrs);
		m->hdrs = NULL;
		m->cap_hdrs = 0;
	}
	if (m->cap_views * sizeof(*m->views) > keep) {
		free(m->views);
		m->views = NULL;
		m->cap_views = 0;
	}
	m->n_hdrs = m->n_views = 0;
	m->hdr_bytes = 0;
	m->target_off = m->host_off = m->ctype_off = HTTP_MSG_NONE;
	m->host_idx = m->ctype_idx = HTTP_MSG_NONE;
	m->has_ce = false;
	m->status = 0;
	m->method = 0;
	m->ver_major = m->ver_minor = 0;
	m->field_open = m->headers_done = m->raw_body = false;
	m->decode_failed = m->cut = false;
	m->decode_stop = 0;
	m->ts_first = m->ts_first_body = m->ts_last = 0;
	m->tid = 0;
}

void http_msg__free(struct http_msg *m)
{
	body_buf__free(&m->raw);
	body_buf__free(&m->body);
	decode__free(m->dec);
	m->dec = NULL;
	free(m->hdrs);
	m->hdrs = NULL;
	m->cap_hdrs = m->n_hdrs = 0;
	free(m->views);
	m->views = NULL;
	m->cap_views = m->n_views = 0;
}

void http_msg__free_exchange(void *x, struct http_msg *req, struct http_msg *resp)
{
	if (!x)
		return;
	http_msg__free(req);
	http_msg__free(resp);
	free(x);
}

/* Stores wire bytes of the header block, enforcing the cap. Inline: it
 * runs for every piece of every header. */
static inline int put_wire(struct http_msg *m, const char *at, size_t len)
{
	int err;

	m->hdr_bytes += len;
	if (m->hdr_bytes > m->hdr_cap)
		return -E2BIG;
	err = body_buf__append(&m->raw, at, len);
	if (err)
		return err;
	return m->raw.truncated ? -E2BIG : 0;
}

static int put_nul(struct http_msg *m)
{
	if (body_buf__reserve(&m->raw, 1))
		return -ENOMEM;
	m->raw.p[m->raw.len++] = 0;
	m->raw.p[m->raw.len] = 0;
	return 0;
}

int http_msg__url(struct http_msg *m, const char *at, size_t len)
{
	if (m->target_off == HTTP_MSG_NONE)
		m->target_off = (uint32_t)m->raw.len;
	return put_wire(m, at, len);
}

int http_msg__url_done(struct http_msg *m)
{
	if (m->target_off == HTTP_MSG_NONE)
		m->target_off = (uint32_t)m->raw.len;
	return put_nul(m);
}

/* Starts header n_hdrs. Returns 0, or -E2BIG (count cap) or -ENOMEM. */
static int new_hdr(struct http_msg *m)
{
	struct hdr_ref *r;

	if (m->n_hdrs == HTTP_MSG_MAX_HEADERS)
		return -E2BIG;
	if (m->n_hdrs == m->cap_hdrs) {
		uint32_t cap = m->cap_hdrs ? m->cap_hdrs * 2 : 16;
		void *p = realloc(m->hdrs, cap * sizeof(*m->hdrs));

		if (!p)
			return -ENOMEM;
		m->hdrs = p;
		m->cap_hdrs = cap;
	}
	r = &m->hdrs[m->n_hdrs++];
	r->name_off = (uint32_t)m->raw.len;
	r->name_len = 0;
	r->val_off = (uint32_t)m->raw.len;
	r->val_len = 0;
	m->field_open = true;
	return 0;
}

int http_msg__field(struct http_msg *m, const char *at, size_t len)
{
	struct hdr_ref *r;
	int err;

	if (!m->field_open) {
		err = new_hdr(m);
		if (err)
			return err;
	}
	m->n_views = 0;
	err = put_wire(m, at, len);
	r = &m->hdrs[m->n_hdrs - 1];
	if (!err) {
		r->name_len += (uint32_t)len;
		return 0;
	}
	/* The header claims only the bytes raw holds (its own are last in
	 * raw): a piece refused at the cap, which http2 keeps going past,
	 * must not be read by views. */
	r->name_len = (uint32_t)(m->raw.len - r->name_off);
	if (!r->name_len) {
		m->n_hdrs--; /* nothing of its name was kept */
		m->field_open = false;
	}
	return err;
}

static uint64_t load8(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t load4(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Folding masks: setting bit 5 lowercases an ASCII letter and maps no
 * other byte onto a lowercase letter, so (word | fold) == lowercase word
 * is strncasecmp's answer in the C locale. Non-letters ('-') are not
 * folded. */
static const uint8_t FOLD4[4] = { 0x20, 0x20, 0x20, 0x20 };
static const uint8_t FOLD8[8] = { 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20 };
static const uint8_t FOLD7[8] = { 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0 };

static bool is_host(const uint8_t *n)
{
	return (load4(n) | load4(FOLD4)) == load4("host");
}

static bool is_content_type(const uint8_t *n)
{
	return (load8(n) | load8(FOLD7)) == load8("content-") &&
	       (load4(n + 8) | load4(FOLD4)) == load4("type");
}

static bool is_content_encoding(const uint8_t *n)
{
	return (load8(n) | load8(FOLD7)) == load8("content-") &&
	       (load8(n + 8) | load8(FOLD8)) == load8("encoding");
}

/* Notes header i if headers_done needs it, so it never searches. */
static inline void classify(struct http_msg *m, uint32_t i)
{
	const struct hdr_ref *r = &m->hdrs[i];
	const uint8_t *n;

	if (r->name_len != 4 && r->name_len != 12 && r->name_len != 16)
		return;
	if (r->name_off + r->name_len > m->raw.len)
		return; /* name refused at the cap: not in raw */
	n = m->raw.p + r->name_off;
	if (r->name_len == 4 && m->host_idx == HTTP_MSG_NONE && is_host(n))
		m->host_idx = i;
	else if (r->name_len == 12 && m->ctype_idx == HTTP_MSG_NONE && is_content_type(n))
		m->ctype_idx = i;
	else if (r->name_len == 16 && is_content_encoding(n))
		m->has_ce = true;
}

/* The last header's name is complete: its value starts here. */
static inline void name_done(struct http_msg *m)
{
	struct hdr_ref *r = &m->hdrs[m->n_hdrs - 1];

	r->val_off = (uint32_t)m->raw.len;
	r->val_len = 0;
	m->field_open = false;
	m->n_views = 0;
	classify(m, m->n_hdrs - 1);
}

int http_msg__field_done(struct http_msg *m)
{
	if (m->n_hdrs && m->field_open)
		name_done(m);
	m->field_open = false;
	return 0;
}

int http_msg__value(struct http_msg *m, const char *at, size_t len)
{
	struct hdr_ref *r;
	int err;

	if (!m->n_hdrs)
		return -EINVAL; /* llhttp always sends the name first */
	if (m->field_open)
		name_done(m);
	m->n_views = 0;
	err = put_wire(m, at, len);
	r = &m->hdrs[m->n_hdrs - 1];
	if (!err)
		r->val_len += (uint32_t)len;
	else /* as in http_msg__field */
		r->val_len = (uint32_t)(m->raw.len - r->val_off);
	return err;
}

int http_msg__value_done(struct http_msg *m)
{
	struct hdr_ref *r;
	const uint8_t *p;
	uint32_t off, len;

	if (!m->n_hdrs)
		return 0;
	if (m->field_open)
		name_done(m);
	m->n_views = 0;
	r = &m->hdrs[m->n_hdrs - 1];
	off = r->val_off;
	len = r->val_len;
	p = m->raw.p;
	while (len && (p[off] == ' ' || p[off] == '\t')) {
		off++;
		len--;
	}
	while (len && (p[off + len - 1] == ' ' || p[off + len - 1] == '\t'))
		len--;
	r->val_off = off;
	r->val_len = len;
	return 0;
}

/* Appends a NUL-terminated copy of raw[off, off+len), lowercased if asked.
 * Returns its offset, or HTTP_MSG_NONE on -ENOMEM. */
static uint32_t dup_raw(struct http_msg *m, uint32_t off, size_t len, bool lower)
{
	uint32_t at = (uint32_t)m->raw.len;
	uint8_t *d;

	if (body_buf__reserve(&m->raw, len + 1))
		return HTTP_MSG_NONE;
	d = m->raw.p + at;
	memmove(d, m->raw.p + off, len);
	if (lower)
		for (size_t i = 0; i < len; i++)
			if (d[i] >= 'A' && d[i] <= 'Z')
				d[i] += 'a' - 'A';
	m->raw.len += len;
	m->raw.p[m->raw.len++] = 0;
	m->raw.p[m->raw.len] = 0;
	return at;
}

static void setup_decoder(struct http_msg *m, uint64_t *decode_errors)
{
	char join[CE_JOIN_MAX];
	const char *ce = NULL;
	size_t ce_len = 0;
	int err;

	for (uint32_t i = 0; i < m->n_hdrs; i++) {
		const struct hdr_ref *r = &m->hdrs[i];

		if (r->name_len != 16 || r->name_off + r->name_len > m->raw.len ||
		    !is_content_encoding(m->raw.p + r->name_off))
			continue;
		if (!ce) {
			ce = (const char *)m->raw.p + r->val_off;
			ce_len = r->val_len;
			continue;
		}
		/* several Content-Encoding lines form one list */
		if (ce != join) {
			if (ce_len >= sizeof(join))
				goto fail;
			memcpy(join, ce, ce_len);
			ce = join;
		}
		if (ce_len + 1 + r->val_len >= sizeof(join))
			goto fail;
		join[ce_len++] = ',';
		memcpy(join + ce_len, m->raw.p + r->val_off, r->val_len);
		ce_len += r->val_len;
	}
	if (!ce)
		return;
	err = decode__new(&m->dec, ce, ce_len);
	if (!err)
		return;
fail:
	m->raw_body = true;
	m->decode_failed = true;
	(*decode_errors)++;
}

int http_msg__headers_done(struct http_msg *m, uint64_t *decode_errors)
{
	const struct hdr_ref *r;

	m->headers_done = true;
	m->field_open = false;
	if (m->host_idx != HTTP_MSG_NONE) {
		r = &m->hdrs[m->host_idx];
		m->host_off = dup_raw(m, r->val_off, r->val_len, false);
		if (m->host_off == HTTP_MSG_NONE)
			return -ENOMEM;
	}
	if (m->ctype_idx != HTTP_MSG_NONE) {
		const uint8_t *v;
		size_t n = 0, len;

		r = &m->hdrs[m->ctype_idx];
		v = m->raw.p + r->val_off;
		len = r->val_len;
		while (n < len && v[n] != ';')
			n++;
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		m->ctype_off = dup_raw(m, r->val_off, n, true);
		if (m->ctype_off == HTTP_MSG_NONE)
			return -ENOMEM;
	}
	if (m->has_ce)
		setup_decoder(m, decode_errors);
	return 0;
}

void http_msg__body(struct http_msg *m, const char *at, size_t len, uint64_t *decode_errors)
{
	int err;

	if (m->dec && !m->decode_failed) {
		err = decode__feed(m->dec, (const uint8_t *)at, len, &m->body);
		if (err == -EINVAL) {
			m->decode_failed = true;
			m->body.truncated = true;
			(*decode_errors)++;
		}
		if (err == -EFBIG)
			m->decode_stop = decode__stop(m->dec);
		return;
	}
	if (m->decode_failed && !m->raw_body)
		return; /* corrupt coding: the rest cannot be decoded either */
	body_buf__append(&m->body, at, len);
}

void http_msg__finish(struct http_msg *m, uint64_t *decode_errors)
{
	int err;

	if (!m->dec)
		return;
	if (!m->decode_failed) {
		err = decode__finish(m->dec, &m->body);
		if (err == -EINVAL) {
			m->decode_failed = true;
			(*decode_errors)++;
		}
		if (err)
			m->body.truncated = true;
	}
	decode__free(m->dec);
	m->dec = NULL;
}

const char *http_msg__str(const struct http_msg *m, uint32_t off)
{
	if (off == HTTP_MSG_NONE || !m->raw.p)
		return "";
	return (const char *)m->raw.p + off;
}

/* Points m->views at the current headers. Returns false on -ENOMEM. */
static bool build_views(struct http_msg *m)
{
	static const uint8_t empty[1];
	/* Empty names and values leave raw unallocated: offsets are then 0. */
	const char *raw = m->raw.p ? (const char *)m->raw.p : (const char *)empty;
	const struct hdr_ref *r;
	struct header_view *v;

	if (m->n_views == m->n_hdrs && m->views_raw_size == m->raw.size)
		return true;
	if (m->n_hdrs > m->cap_views) {
		void *p = realloc(m->views, m->cap_hdrs * sizeof(*m->views));

		if (!p)
			return false;
		m->views = p;
		m->cap_views = m->cap_hdrs;
	}
	v = m->views;
	r = m->hdrs;
	for (uint32_t i = 0, n = m->n_hdrs; i < n; i++) {
		v[i].name = raw + r[i].name_off;
		v[i].name_len = r[i].name_len;
		v[i].value = raw + r[i].val_off;
		v[i].value_len = r[i].val_len;
	}
	m->n_views = m->n_hdrs;
	m->views_raw_size = m->raw.size;
	return true;
}

void http_msg__view(struct http_msg *m, struct http_message *out)
{
	static const uint8_t empty[1];
	uint32_t n = build_views(m) ? m->n_hdrs : 0; /* -ENOMEM: show none */

	out->headers = n ? m->views : NULL;
	out->n_headers = n;
	out->body = m->body.len ? m->body.p : empty;
	out->body_len = m->body.len;
	out->body_truncated = m->body.truncated || m->cut;
	out->decode_failed = m->decode_failed;
	out->body_evicted = m->body.evicted;
	out->content_type = http_msg__str(m, m->ctype_off);
	out->ts_first = m->ts_first;
	out->ts_first_body = m->ts_first_body;
	out->ts_last = m->ts_last;
	out->tid = m->tid;
	out->ver_major = m->ver_major;
	out->ver_minor = m->ver_minor;
}
