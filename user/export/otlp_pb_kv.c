// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export/otlp_pb_kv.h"
#include "export/utf8.h"

/* Hands p to the arena. Returns p, or NULL (p freed) on -ENOMEM. */
void *arena__keep(struct arena *a, void *p)
{
	if (!p)
		return NULL;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		void **v = realloc(a->v, cap * sizeof(*v));

		if (!v) {
			free(p);
			return NULL;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = p;
	return p;
}

void *arena__alloc(struct arena *a, size_t sz)
{
	return arena__keep(a, calloc(1, sz ? sz : 1));
}

/* Returns s itself when it is valid UTF-8, else a repaired copy owned by
 * the arena; NULL on -ENOMEM. */
char *otlp_pb__str(struct arena *a, char *s)
{
	if (utf8__valid(s, strlen(s)))
		return s;
	return arena__keep(a, utf8__sanitize(s));
}

void arena__free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* Builds the AnyValue of a. Returns NULL on -ENOMEM. */
static Otlp__AnyValue *any_value(struct arena *ar, const struct attr *a)
{
	Otlp__AnyValue *v = arena__alloc(ar, sizeof(*v));

	if (!v)
		return NULL;
	otlp__any_value__init(v);
	switch (a->type) {
	case ATTR_STR:
		v->value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
		v->string_value = otlp_pb__str(ar, a->s);
		if (!v->string_value)
			return NULL;
		break;
	case ATTR_INT:
		v->value_case = OTLP__ANY_VALUE__VALUE_INT_VALUE;
		v->int_value = a->i;
		break;
	case ATTR_DOUBLE:
		v->value_case = OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE;
		v->double_value = a->d;
		break;
	case ATTR_BOOL:
		v->value_case = OTLP__ANY_VALUE__VALUE_BOOL_VALUE;
		v->bool_value = a->b;
		break;
	case ATTR_STR_ARRAY: {
		Otlp__ArrayValue *arr = arena__alloc(ar, sizeof(*arr));

		if (!arr)
			return NULL;
		otlp__array_value__init(arr);
		arr->values = arena__alloc(ar, a->arr.n * sizeof(*arr->values));
		if (!arr->values)
			return NULL;
		for (size_t i = 0; i < a->arr.n; i++) {
			Otlp__AnyValue *e = arena__alloc(ar, sizeof(*e));

			if (!e)
				return NULL;
			otlp__any_value__init(e);
			e->value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
			e->string_value = otlp_pb__str(ar, a->arr.v[i]);
			if (!e->string_value)
				return NULL;
			arr->values[arr->n_values++] = e;
		}
		v->value_case = OTLP__ANY_VALUE__VALUE_ARRAY_VALUE;
		v->array_value = arr;
		break;
	}
	}
	return v;
}

/* Builds the KeyValue list of l into *out and *n. Returns 0 or -ENOMEM. */
int otlp_pb__key_values(struct arena *ar, const struct attr_list *l,
		      Otlp__KeyValue ***out, size_t *n)
{
	Otlp__KeyValue **v;

	*n = 0;
	if (!l->n)
		return 0;
	v = arena__alloc(ar, l->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		Otlp__KeyValue *kv = arena__alloc(ar, sizeof(*kv));

		if (!kv)
			return -ENOMEM;
		otlp__key_value__init(kv);
		kv->key = otlp_pb__str(ar, l->v[i].key);
		kv->value = any_value(ar, &l->v[i]);
		if (!kv->key || !kv->value)
			return -ENOMEM;
		v[i] = kv;
	}
	*out = v;
	*n = l->n;
	return 0;
}
