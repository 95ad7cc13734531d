// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "export/otlp_json_kv.h"
#include "export/utf8.h"

void ojson__put(json_t *o, const char *key, json_t *v, bool *oom)
{
	if (!v || json_object_set_new(o, key, v))
		*oom = true;
}

void ojson__append(json_t *a, json_t *v, bool *oom)
{
	if (!v || json_array_append_new(a, v))
		*oom = true;
}

/* A JSON string of s, repairing invalid UTF-8 (jansson rejects it). */
json_t *ojson__str(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *fixed;

	if (j)
		return j;
	fixed = utf8__sanitize(s);
	if (!fixed)
		return NULL;
	j = json_string(fixed);
	free(fixed);
	return j;
}

json_t *ojson__u64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

json_t *ojson__i64(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

/* The proto3 JSON mapping spells non-finite doubles as strings. */
json_t *ojson__double(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

static json_t *any_value(const struct attr *a)
{
	json_t *v = json_object(), *arr;
	bool oom = !v;

	if (oom)
		return NULL;
	switch (a->type) {
	case ATTR_STR:
		ojson__put(v, "stringValue", ojson__str(a->s), &oom);
		break;
	case ATTR_INT:
		ojson__put(v, "intValue", ojson__i64(a->i), &oom);
		break;
	case ATTR_DOUBLE:
		ojson__put(v, "doubleValue", ojson__double(a->d), &oom);
		break;
	case ATTR_BOOL:
		ojson__put(v, "boolValue", json_boolean(a->b), &oom);
		break;
	case ATTR_STR_ARRAY:
		arr = json_array();
		for (size_t i = 0; arr && i < a->arr.n; i++) {
			json_t *e = json_object();

			if (e)
				ojson__put(e, "stringValue", ojson__str(a->arr.v[i]), &oom);
			ojson__append(arr, e, &oom);
		}
		if (arr) {
			json_t *av = json_object();

			if (av)
				ojson__put(av, "values", arr, &oom);
			else
				json_decref(arr);
			ojson__put(v, "arrayValue", av, &oom);
		} else {
			oom = true;
		}
		break;
	}
	if (oom) {
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *ojson__key_values(const struct attr_list *l)
{
	json_t *arr = json_array();
	bool oom = !arr;

	for (size_t i = 0; !oom && i < l->n; i++) {
		json_t *kv = json_object();

		if (kv) {
			ojson__put(kv, "key", ojson__str(l->v[i].key), &oom);
			ojson__put(kv, "value", any_value(&l->v[i]), &oom);
		}
		ojson__append(arr, kv, &oom);
	}
	if (oom) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}
