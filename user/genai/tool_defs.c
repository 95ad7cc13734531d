// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "contracts/def_hashes.h"
#include "contracts/names.h"
#include "genai/jskim.h"
#include "genai/tool_defs.h"

/* One remembered set: the per-tool hashes of a "tools" text. */
struct entry {
	XXH128_hash_t key;   /* of the raw text */
	uint64_t used;       /* LRU clock; 0: empty */
	size_t n;
	struct def_hash *v;  /* n entries, names in the same block */
};

struct genai_tool_defs {
	struct entry e[TOOL_DEFS_CACHE];
	uint64_t clock;
};

struct genai_tool_defs *genai_tool_defs__new(void)
{
	return calloc(1, sizeof(struct genai_tool_defs));
}

void genai_tool_defs__free(struct genai_tool_defs *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < TOOL_DEFS_CACHE; i++)
		free(d->e[i].v);
	free(d);
}

static struct entry *lookup(struct genai_tool_defs *d, XXH128_hash_t key)
{
	for (size_t i = 0; i < TOOL_DEFS_CACHE; i++)
		if (d->e[i].used && XXH128_isEqual(d->e[i].key, key)) {
			d->e[i].used = ++d->clock;
			return &d->e[i];
		}
	return NULL;
}

/* Remembers v[0..n) under key in the least recently used slot; a set too
 * big to copy, or no memory, is simply not remembered. */
static void remember(struct genai_tool_defs *d, XXH128_hash_t key, const struct def_hash *v,
		     size_t n)
{
	struct entry *e = &d->e[0];
	size_t names = 0, off;
	char *p;

	for (size_t i = 0; i < n; i++)
		names += strlen(v[i].name) + 1;
	if (names > TOOL_DEFS_CACHE_NAMES)
		return;
	for (size_t i = 1; i < TOOL_DEFS_CACHE; i++)
		if (d->e[i].used < e->used)
			e = &d->e[i];
	free(e->v);
	memset(e, 0, sizeof(*e));
	off = n * sizeof(*v);
	e->v = malloc(off + names + 1);
	if (!e->v)
		return;
	p = (char *)e->v + off;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i].name) + 1;

		memcpy(p, v[i].name, l);
		e->v[i].name = p;
		e->v[i].hash = v[i].hash;
		p += l;
	}
	e->n = n;
	e->key = key;
	e->used = ++d->clock;
}

static int add(struct def_hash *v, size_t *n, const json_t *o)
{
	const json_t *name = json_object_get(o, "name");
	int err;

	if (!json_is_string(name) || *n == DEF_HASHES_MAX)
		return 0;
	err = def_hashes__of_json(o, &v[*n].hash);
	if (err)
		return err;
	v[*n].name = json_string_value(name);
	(*n)++;
	return 0;
}

/* One entry of "tools": a Gemini tool holds functionDeclarations, an
 * OpenAI chat tool wraps a "function", the others are the definition. */
static int collect(struct def_hash *v, size_t *n, const json_t *t)
{
	const json_t *decls = json_object_get(t, "functionDeclarations");
	const json_t *fn = json_object_get(t, "function");
	const json_t *d;
	size_t i;
	int err = 0;

	if (json_is_array(decls)) {
		json_array_foreach(decls, i, d)
			err = err ? err : add(v, n, d);
		return err;
	}
	return add(v, n, json_is_object(fn) ? fn : t);
}

int genai_tool_defs__annotate(struct genai_tool_defs *d, struct span *s, const json_t *req,
			      const char *raw, size_t raw_len, bool capture)
{
	const json_t *tools = json_object_get(req, "tools"), *t;
	json_t *parsed = NULL;
	struct def_hash v[DEF_HASHES_MAX];
	struct entry *hit = NULL;
	XXH128_hash_t key = { 0, 0 };
	size_t n = 0, i;
	int err = 0;

	if (!json_is_array(tools) || !json_array_size(tools)) {
		/* a skimmed (or skipped) "tools" is an empty stand-in */
		if (!genai__json_raw_nonempty_array(raw, raw_len))
			return 0;
		tools = NULL;
	}
	if (d && raw) {
		key = XXH3_128bits(raw, raw_len);
		hit = lookup(d, key);
	}
	if (hit) {
		n = hit->n;
		memcpy(v, hit->v, n * sizeof(v[0]));
	} else {
		if (!tools)
			tools = parsed = genai__json_load(raw, raw_len, 0);
		if (!json_is_array(tools))
			goto out;
		json_array_foreach(tools, i, t)
			if (json_is_object(t) && (err = collect(v, &n, t)))
				goto out;
		if (d && raw)
			remember(d, key, v, n);
	}
	if (!n)
		goto out;
	err |= def_hashes__set(s, CN_TOOL_DEFINITION_HASHES, CN_TOOL_DEFINITIONS_HASH, v, n);
	if (capture && !tools)
		tools = parsed = genai__json_load(raw, raw_len, 0);
	if (capture && tools) {
		char *text = json_dumps(tools, JSON_COMPACT);

		err |= text ? span__set_str(s, CN_TOOL_DEFINITIONS, text) : -ENOMEM;
		free(text);
	}
out:
	json_decref(parsed);
	return err ? -ENOMEM : (int)n;
}
