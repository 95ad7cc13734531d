// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/small_alloc.h"
#include "trace/span.h"

struct span *span__new(const char *name, enum span_kind kind)
{
	struct span *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->name = strdup(name ? name : "");
	if (!s->name) {
		free(s);
		return NULL;
	}
	s->kind = kind;
	return s;
}

void span__join_name(char *buf, size_t size, const char *op, const char *target)
{
	size_t n = 0;

	if (!size)
		return;
	for (const char *p = op; *p && n + 1 < size; p++)
		buf[n++] = *p;
	if (target) {
		if (n + 1 < size)
			buf[n++] = ' ';
		for (const char *p = target; *p && n + 1 < size; p++)
			buf[n++] = *p;
	}
	buf[n] = '\0';
}

int span__set_name(struct span *s, const char *name)
{
	char *n = strdup(name);

	if (!n)
		return -ENOMEM;
	free(s->name);
	s->name = n;
	return 0;
}

static void attr__release(struct attr *a)
{
	if (a->type == ATTR_STR)
		small_alloc__free(a->s);
	else if (a->type == ATTR_STR_ARRAY) {
		for (size_t i = 0; i < a->arr.n; i++)
			small_alloc__free(a->arr.v[i]);
		small_alloc__free(a->arr.v);
	}
}

void attrs__clear(struct attr_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		attr__release(&l->v[i]);
		small_alloc__free(l->v[i].key);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void span__free(struct span *s)
{
	if (!s)
		return;
	attrs__clear(&s->attrs);
	for (size_t i = 0; i < s->n_events; i++) {
		free(s->events[i].name);
		attrs__clear(&s->events[i].attrs);
	}
	free(s->events);
	for (size_t i = 0; i < s->n_links; i++)
		attrs__clear(&s->links[i].attrs);
	free(s->links);
	free(s->trace_state);
	free(s->status_message);
	free(s->name);
	free(s);
}

/* A key's length and two of its bytes: keys on one span almost always
 * differ there, so a lookup runs strcmp about once, not once per key. */
static uint32_t key_tag(const char *key, size_t *len)
{
	size_t n = strlen(key);

	*len = n;
	return n ? (uint32_t)n << 16 ^ (uint32_t)(unsigned char)key[n - 1] << 8 ^
			   (unsigned char)key[n / 2]
		 : 0;
}

/* A tag's bit in attr_list.tags (Fibonacci hashing to 7 bits). */
static inline unsigned tag_bit(uint32_t tag)
{
	return (tag * 0x9e3779b1u) >> 25;
}

static const struct attr *find(const struct attr_list *l, const char *key, uint32_t tag)
{
	unsigned b = tag_bit(tag);

	if (!(l->tags[b >> 6] & 1ull << (b & 63)))
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].key_tag == tag && strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}

const struct attr *attrs__get(const struct attr_list *l, const char *key)
{
	size_t n;

	return find(l, key, key_tag(key, &n));
}

/* Installs *val under key, replacing an old value. On failure the caller
 * still owns val's storage. */
static int attrs__put(struct attr_list *l, const char *key, const struct attr *val)
{
	size_t len;
	uint32_t tag = key_tag(key, &len);
	struct attr *slot = (struct attr *)find(l, key, tag);
	char *k;

	if (slot) {
		k = slot->key;
		attr__release(slot);
		*slot = *val;
		slot->key = k;
		slot->key_tag = tag;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct attr *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	k = small_alloc__malloc(len + 1);
	if (!k)
		return -ENOMEM;
	memcpy(k, key, len + 1);
	l->v[l->n] = *val;
	l->v[l->n].key = k;
	l->v[l->n].key_tag = tag;
	l->n++;
	l->tags[tag_bit(tag) >> 6] |= 1ull << (tag_bit(tag) & 63);
	return 0;
}

static size_t value_max = ATTR_VALUE_MAX_DEFAULT;

void attrs__set_value_max(size_t max)
{
	value_max = max < 64 ? 64 : max;
}

size_t attrs__value_max(void)
{
	return value_max;
}

static size_t attr_bytes(const struct attr *a)
{
	size_t n = strlen(a->key) + sizeof(*a);

	if (a->type == ATTR_STR)
		n += strlen(a->s);
	else if (a->type == ATTR_STR_ARRAY)
		for (size_t i = 0; i < a->arr.n; i++)
			n += strlen(a->arr.v[i]) + sizeof(char *);
	return n;
}

size_t span__bytes(const struct span *s)
{
	size_t n = sizeof(*s) + (s->name ? strlen(s->name) : 0);

	for (size_t i = 0; i < s->attrs.n; i++)
		n += attr_bytes(&s->attrs.v[i]);
	for (size_t e = 0; e < s->n_events; e++) {
		n += sizeof(s->events[e]) + strlen(s->events[e].name);
		for (size_t i = 0; i < s->events[e].attrs.n; i++)
			n += attr_bytes(&s->events[e].attrs.v[i]);
	}
	return n;
}

int attrs__set_strn(struct attr_list *l, const char *key, const char *val, size_t n)
{
	struct attr a = { .type = ATTR_STR };
	bool cut = n > value_max;
	int err;

	if (cut) {
		n = value_max;
		/* never split a UTF-8 character */
		while (n > 0 && ((unsigned char)val[n] & 0xc0) == 0x80)
			n--;
	}

	a.s = small_alloc__strndup(val, n);
	if (!a.s)
		return -ENOMEM;
	err = attrs__put(l, key, &a);
	if (err)
		small_alloc__free(a.s);
	else
		l->truncated += cut;
	return err;
}

int attrs__set_str(struct attr_list *l, const char *key, const char *val)
{
	return attrs__set_strn(l, key, val, strlen(val));
}

int attrs__set_int(struct attr_list *l, const char *key, int64_t val)
{
	struct attr a = { .type = ATTR_INT, .i = val };

	return attrs__put(l, key, &a);
}

int attrs__set_double(struct attr_list *l, const char *key, double val)
{
	struct attr a = { .type = ATTR_DOUBLE, .d = val };

	return attrs__put(l, key, &a);
}

int attrs__set_bool(struct attr_list *l, const char *key, bool val)
{
	struct attr a = { .type = ATTR_BOOL, .b = val };

	return attrs__put(l, key, &a);
}

int attrs__set_str_array(struct attr_list *l, const char *key,
			 const char *const *vals, size_t n)
{
	struct attr a = { .type = ATTR_STR_ARRAY };
	int err = -ENOMEM;

	a.arr.v = small_alloc__malloc((n ? n : 1) * sizeof(char *));
	if (!a.arr.v)
		return -ENOMEM;
	for (a.arr.n = 0; a.arr.n < n; a.arr.n++) {
		a.arr.v[a.arr.n] = small_alloc__strndup(vals[a.arr.n], SIZE_MAX);
		if (!a.arr.v[a.arr.n])
			goto cleanup;
	}
	err = attrs__put(l, key, &a);
	if (!err)
		return 0;
cleanup:
	attr__release(&a);
	return err;
}

struct span_event *span__add_event(struct span *s, const char *name, uint64_t time_ns)
{
	struct span_event *e;

	if (s->n_events == s->cap_events) {
		size_t cap = s->cap_events ? s->cap_events * 2 : 4;
		struct span_event *v = realloc(s->events, cap * sizeof(*v));

		if (!v)
			return NULL;
		s->events = v;
		s->cap_events = cap;
	}
	e = &s->events[s->n_events];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	e->time_ns = time_ns;
	s->n_events++;
	return e;
}

struct span_link *span__add_link(struct span *s, const uint8_t trace_id[16],
				 const uint8_t span_id[8])
{
	struct span_link *l;

	if (s->n_links == s->cap_links) {
		size_t cap = s->cap_links ? s->cap_links * 2 : 4;
		struct span_link *v = realloc(s->links, cap * sizeof(*v));

		if (!v)
			return NULL;
		s->links = v;
		s->cap_links = cap;
	}
	l = &s->links[s->n_links++];
	memset(l, 0, sizeof(*l));
	memcpy(l->trace_id, trace_id, sizeof(l->trace_id));
	memcpy(l->span_id, span_id, sizeof(l->span_id));
	return l;
}

int attrs__copy(struct attr_list *dst, const struct attr_list *src)
{
	int err = 0;

	for (size_t i = 0; !err && i < src->n; i++) {
		const struct attr *a = &src->v[i];

		switch (a->type) {
		case ATTR_STR: err = attrs__set_str(dst, a->key, a->s); break;
		case ATTR_INT: err = attrs__set_int(dst, a->key, a->i); break;
		case ATTR_DOUBLE: err = attrs__set_double(dst, a->key, a->d); break;
		case ATTR_BOOL: err = attrs__set_bool(dst, a->key, a->b); break;
		case ATTR_STR_ARRAY:
			err = attrs__set_str_array(dst, a->key, (const char *const *)a->arr.v,
						   a->arr.n);
			break;
		}
	}
	return err;
}
