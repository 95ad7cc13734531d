// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/span.h"

/* A block of an attr_list's arena, newest first. */
struct attr_block {
	struct attr_block *next;
	size_t used, size;
	bool borrowed;  /* part of its span's allocation, not freed alone */
	_Alignas(8) char data[]; /* for arrays of pointers and of struct attr */
};

#define ATTR_BLOCK_MIN 1024   /* a list's first block: its first array and strings */
#define ATTR_BLOCK_MAX 16384  /* growth stops doubling here */
#define ATTR_CAP_MIN 16       /* first array of struct attr */
/* Replaced values a list may hold before it repacks (which moves every
 * value): far above what a span's stages replace in practice. */
#define ATTR_DEAD_MAX (4 * ATTR_BLOCK_MAX)
/* A span's own first block, allocated with it: a traced call's attribute
 * array and strings fit, so a span costs one malloc and one free. */
#define SPAN_BLOCK 1024

/* The name span__new stored with the span. */
static char *inline_name(struct span *s)
{
	return (char *)(s + 1) + sizeof(struct attr_block) + SPAN_BLOCK;
}

struct span *span__new(const char *name, enum span_kind kind)
{
	size_t len = name ? strlen(name) : 0;
	struct span *s = malloc(sizeof(*s) + sizeof(struct attr_block) + SPAN_BLOCK + len + 1);
	struct attr_block *b;

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	b = (struct attr_block *)(s + 1);
	*b = (struct attr_block){ .size = SPAN_BLOCK, .borrowed = true };
	s->attrs.arena = b;
	s->name = inline_name(s);
	if (len)
		memcpy(s->name, name, len);
	s->name[len] = '\0';
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
	if (s->name != inline_name(s))
		free(s->name);
	s->name = n;
	return 0;
}

static void arena__free(struct attr_block *b)
{
	while (b) {
		struct attr_block *next = b->next;

		if (!b->borrowed)
			free(b);
		b = next;
	}
}

/* A value too big for the next block gets one of its own, behind the
 * head, so that the head keeps serving small carves. */
static void *arena__grow(struct attr_block **head, size_t n)
{
	size_t size = *head ? 2 * (*head)->size : ATTR_BLOCK_MIN;
	struct attr_block *b;

	if (size > ATTR_BLOCK_MAX)
		size = ATTR_BLOCK_MAX;
	if (n > size / 2)
		size = n;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->size = size;
	b->used = n;
	b->borrowed = false;
	if (size == n && *head) {
		b->next = (*head)->next;
		(*head)->next = b;
	} else {
		b->next = *head;
		*head = b;
	}
	return b->data;
}

/* Returns n bytes from the arena, 8-aligned if align8, or NULL on -ENOMEM
 * (what the arena holds unchanged). */
static inline void *arena__carve(struct attr_block **head, size_t n, bool align8)
{
	struct attr_block *b = *head;

	if (b) {
		size_t at = align8 ? (b->used + 7) & ~(size_t)7 : b->used;

		if (at <= b->size && n <= b->size - at) {
			b->used = at + n;
			return b->data + at;
		}
	}
	return arena__grow(head, n);
}

void attrs__clear(struct attr_list *l)
{
	arena__free(l->arena);
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
	if (s->name != inline_name(s))
		free(s->name);
	free(s);
}

/* A key's length and two of its bytes: keys on one span almost always
 * differ there, so a lookup runs strcmp about once, not once per key. */
static inline uint32_t key_tag(const char *key, size_t n)
{
	return n ? (uint32_t)n << 16 ^ (uint32_t)(unsigned char)key[n - 1] << 8 ^
			   (unsigned char)key[n / 2]
		 : 0;
}

/* A tag's bit in attr_list.tags (Fibonacci hashing to 7 bits). */
static inline unsigned tag_bit(uint32_t tag)
{
	return (tag * 0x9e3779b1u) >> 25;
}

static struct attr *scan(const struct attr_list *l, const char *key, uint32_t tag)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].key_tag == tag && strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}

static inline struct attr *find(const struct attr_list *l, const char *key, uint32_t tag)
{
	unsigned b = tag_bit(tag);

	if (!(l->tags[b >> 6] & 1ull << (b & 63)))
		return NULL;
	return scan(l, key, tag);
}

const struct attr *attrs__get(const struct attr_list *l, const char *key)
{
	return find(l, key, key_tag(key, strlen(key)));
}

/* What span__bytes counts for a value, and what it takes in the arena. */
static size_t value_bytes(const struct attr *a, size_t *mem)
{
	size_t n = 0, m = 0;

	if (a->type == ATTR_STR) {
		n = strlen(a->s);
		m = n + 1;
	} else if (a->type == ATTR_STR_ARRAY) {
		for (size_t i = 0; i < a->arr.n; i++) {
			size_t len = strlen(a->arr.v[i]);

			n += len + sizeof(char *);
			m += len + 1 + sizeof(char *);
		}
	}
	*mem = m;
	return n;
}

/* Moves the array to a bigger one in the arena; the old one stays there,
 * which the doubling bounds to the size of the new one. */
static int attrs__grow(struct attr_list *l)
{
	size_t cap = l->cap ? l->cap * 2 : ATTR_CAP_MIN;
	struct attr *v = arena__carve(&l->arena, cap * sizeof(*v), true);

	if (!v)
		return -ENOMEM;
	if (l->n)
		memcpy(v, l->v, l->n * sizeof(*v));
	l->v = v;
	l->cap = cap;
	return 0;
}

/* Finds key's slot, or adds one (its key copied), and carves need bytes
 * for its new value into *mem; vbytes is what span__bytes will count for
 * the value. The caller fills the slot's type and value. Returns the slot,
 * or NULL on -ENOMEM with the list unchanged. Inlined by force: as a call
 * it cost 12M of the 900M instructions of wrk.cap's 34k spans (callgrind). */
static inline __attribute__((always_inline)) struct attr *
attrs__slot(struct attr_list *l, const char *key, size_t len, size_t need, bool align8,
	    size_t vbytes, void **mem)
{
	size_t old_mem;
	uint32_t tag = key_tag(key, len);
	struct attr *a = find(l, key, tag);
	char *p;

	if (a) {
		if (need && !(*mem = arena__carve(&l->arena, need, align8)))
			return NULL;
		l->bytes -= value_bytes(a, &old_mem);
		l->bytes += vbytes;
		l->dead += old_mem;
		return a;
	}
	if (l->n == l->cap && attrs__grow(l))
		return NULL;
	/* value first: an array of pointers wants the alignment */
	p = arena__carve(&l->arena, need + len + 1, align8);
	if (!p)
		return NULL;
	*mem = p;
	memcpy(p + need, key, len + 1);
	a = &l->v[l->n++];
	a->key = p + need;
	a->key_tag = tag;
	l->tags[tag_bit(tag) >> 6] |= 1ull << (tag_bit(tag) & 63);
	l->bytes += sizeof(*a) + len + vbytes;
	return a;
}

static char *arena__strdup(struct attr_block **head, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = arena__carve(head, n, false);

	return d ? memcpy(d, s, n) : NULL;
}

static void repack(struct attr_list *l)
{
	struct attr_block *fresh = NULL;
	struct attr *v = arena__carve(&fresh, l->cap * sizeof(*v), true);

	if (!v)
		return;
	memcpy(v, l->v, l->n * sizeof(*v));
	for (size_t i = 0; i < l->n; i++) {
		struct attr *a = &v[i];

		if (!(a->key = arena__strdup(&fresh, a->key)))
			goto cleanup;
		if (a->type == ATTR_STR && !(a->s = arena__strdup(&fresh, a->s)))
			goto cleanup;
		if (a->type != ATTR_STR_ARRAY)
			continue;
		a->arr.v = arena__carve(&fresh, (a->arr.n ? a->arr.n : 1) * sizeof(char *), true);
		if (!a->arr.v)
			goto cleanup;
		for (size_t j = 0; j < a->arr.n; j++)
			if (!(a->arr.v[j] = arena__strdup(&fresh, l->v[i].arr.v[j])))
				goto cleanup;
	}
	arena__free(l->arena);
	l->arena = fresh;
	l->v = v;
	l->dead = 0;
	return;
cleanup:
	arena__free(fresh);
}

/* Bounds what replaced values leave behind: once they outweigh both what
 * the list counts and ATTR_DEAD_MAX, the live keys and values move to a
 * fresh arena. Best effort: on -ENOMEM the old arena stays. */
static void repack_if_due(struct attr_list *l)
{
	if (l->dead > ATTR_DEAD_MAX && l->dead > l->bytes)
		repack(l);
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

static size_t list_bytes(const struct attr_list *l)
{
	return l->bytes + l->dead;
}

size_t span__bytes(const struct span *s)
{
	size_t n = sizeof(*s) + (s->name ? strlen(s->name) : 0) + list_bytes(&s->attrs);

	for (size_t e = 0; e < s->n_events; e++)
		n += sizeof(s->events[e]) + strlen(s->events[e].name) +
		     list_bytes(&s->events[e].attrs);
	return n;
}

int attrs__put_str(struct attr_list *l, const char *key, size_t key_len, const char *val,
		   size_t n, bool exact)
{
	bool cut = n > value_max;
	struct attr *a;
	void *mem = NULL;

	if (cut) {
		n = value_max;
		/* never split a UTF-8 character */
		while (n > 0 && ((unsigned char)val[n] & 0xc0) == 0x80)
			n--;
	}
	if (!exact)
		n = strnlen(val, n);
	a = attrs__slot(l, key, key_len, n + 1, false, n, &mem);
	if (!a)
		return -ENOMEM;
	a->type = ATTR_STR;
	a->s = memcpy(mem, val, n);
	a->s[n] = '\0';
	l->truncated += cut;
	repack_if_due(l);
	return 0;
}

int attrs__put(struct attr_list *l, const char *key, size_t key_len, const struct attr *val)
{
	void *mem = NULL;
	struct attr *a, v;

	if (val->type == ATTR_STR || val->type == ATTR_STR_ARRAY)
		return -EINVAL;
	a = attrs__slot(l, key, key_len, 0, false, 0, &mem);
	if (!a)
		return -ENOMEM;
	v = *val;
	v.key = a->key;
	v.key_tag = a->key_tag;
	*a = v;
	repack_if_due(l);
	return 0;
}

int attrs__set_str_array(struct attr_list *l, const char *key,
			 const char *const *vals, size_t n)
{
	size_t ptrs = (n ? n : 1) * sizeof(char *), need = ptrs, vbytes = 0;
	struct attr *a;
	char *p;
	void *mem = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(vals[i]);

		need += len + 1;
		vbytes += len + sizeof(char *);
	}
	a = attrs__slot(l, key, strlen(key), need, true, vbytes, &mem);
	if (!a)
		return -ENOMEM;
	a->type = ATTR_STR_ARRAY;
	a->arr.v = mem;
	a->arr.n = n;
	p = (char *)mem + ptrs;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(vals[i]) + 1;

		a->arr.v[i] = memcpy(p, vals[i], len);
		p += len;
	}
	repack_if_due(l);
	return 0;
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
