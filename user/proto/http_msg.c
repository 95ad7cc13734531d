// SPDX-License-Identifier: MIT
/* Building one HTTP message from llhttp callbacks into owned storage. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
}

void http_msg__reset(struct http_msg *m, size_t keep)
{
	body_buf__reset(&m->raw, keep);
	body_buf__reset(&m->body, keep);
	decode__free(m->dec);
	m->dec = NULL;
	if (m->cap_hdrs * sizeof(*m->hdrs) > keep) {
		free(m->hdrs);
		m->hdrs = NULL;
		m->cap_hdrs = 0;
	}
	m->n_hdrs = 0;
	m->hdr_bytes = 0;
	m->target_off = m->host_off = m->ctype_off = HTTP_MSG_NONE;
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
}

void http_msg__free_exchange(void *x, struct http_msg *req, struct http_msg *resp)
{
	if (!x)
		return;
	http_msg__free(req);
	http_msg__free(resp);
	free(x);
}

/* Stores wire bytes of the header block, enforcing the cap. */
static int put_wire(struct http_msg *m, const char *at, size_t len)
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

int http_msg__field(struct http_msg *m, const char *at, size_t len)
{
	struct hdr_ref *r;

	if (!m->field_open) {
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
	}
	m->hdrs[m->n_hdrs - 1].name_len += (uint32_t)len;
	return put_wire(m, at, len);
}

int http_msg__field_done(struct http_msg *m)
{
	if (m->n_hdrs) {
		m->hdrs[m->n_hdrs - 1].val_off = (uint32_t)m->raw.len;
		m->hdrs[m->n_hdrs - 1].val_len = 0;
	}
	m->field_open = false;
	return 0;
}

int http_msg__value(struct http_msg *m, const char *at, size_t len)
{
	if (!m->n_hdrs || m->field_open)
		return -EINVAL; /* llhttp always sends the name first */
	m->hdrs[m->n_hdrs - 1].val_len += (uint32_t)len;
	return put_wire(m, at, len);
}

int http_msg__value_done(struct http_msg *m)
{
	struct hdr_ref *r;

	if (!m->n_hdrs)
		return 0;
	r = &m->hdrs[m->n_hdrs - 1];
	while (r->val_len && (m->raw.p[r->val_off] == ' ' || m->raw.p[r->val_off] == '\t')) {
		r->val_off++;
		r->val_len--;
	}
	while (r->val_len && (m->raw.p[r->val_off + r->val_len - 1] == ' ' ||
			      m->raw.p[r->val_off + r->val_len - 1] == '\t'))
		r->val_len--;
	m->field_open = false;
	return 0;
}

int http_msg__find(const struct http_msg *m, const char *name)
{
	size_t len = strlen(name);

	for (uint32_t i = 0; i < m->n_hdrs; i++)
		if (m->hdrs[i].name_len == len &&
		    strncasecmp((const char *)m->raw.p + m->hdrs[i].name_off, name, len) == 0)
			return (int)i;
	return -1;
}

/* Appends a NUL-terminated copy of raw[off, off+len), lowercased if asked.
 * Returns its offset, or HTTP_MSG_NONE on -ENOMEM. */
static uint32_t dup_raw(struct http_msg *m, uint32_t off, size_t len, bool lower)
{
	uint32_t at = (uint32_t)m->raw.len;

	if (body_buf__reserve(&m->raw, len + 1))
		return HTTP_MSG_NONE;
	memmove(m->raw.p + at, m->raw.p + off, len);
	if (lower)
		for (size_t i = 0; i < len; i++)
			m->raw.p[at + i] = (uint8_t)tolower(m->raw.p[at + i]);
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

		if (r->name_len != 16 ||
		    strncasecmp((const char *)m->raw.p + r->name_off, "content-encoding", 16))
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
	int i;

	m->headers_done = true;
	m->field_open = false;
	i = http_msg__find(m, "host");
	if (i >= 0) {
		m->host_off = dup_raw(m, m->hdrs[i].val_off, m->hdrs[i].val_len, false);
		if (m->host_off == HTTP_MSG_NONE)
			return -ENOMEM;
	}
	i = http_msg__find(m, "content-type");
	if (i >= 0) {
		const uint8_t *v = m->raw.p + m->hdrs[i].val_off;
		size_t n = 0;

		while (n < m->hdrs[i].val_len && v[n] != ';')
			n++;
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		m->ctype_off = dup_raw(m, m->hdrs[i].val_off, n, true);
		if (m->ctype_off == HTTP_MSG_NONE)
			return -ENOMEM;
	}
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

void http_msg__view(const struct http_msg *m, struct header_view *views,
		    struct http_message *out)
{
	static const uint8_t empty[1];
	uint32_t n = views ? m->n_hdrs : 0; /* no views: -ENOMEM, show none */
	/* Empty names and values leave raw unallocated: offsets are then 0. */
	const char *raw = m->raw.p ? (const char *)m->raw.p : (const char *)empty;

	for (uint32_t i = 0; i < n; i++) {
		views[i].name = raw + m->hdrs[i].name_off;
		views[i].name_len = m->hdrs[i].name_len;
		views[i].value = raw + m->hdrs[i].val_off;
		views[i].value_len = m->hdrs[i].val_len;
	}
	out->headers = n ? views : NULL;
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
