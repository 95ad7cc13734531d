// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "contracts/names.h"
#include "genai/jskim.h"
#include "genai/tool_defs.h"

struct def {
	const char *name;
	uint64_t hash;
};

static int add(struct def *v, size_t *n, const json_t *o)
{
	const json_t *name = json_object_get(o, "name");
	char *text;

	if (!json_is_string(name) || *n == TOOL_DEFS_MAX)
		return 0;
	text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	v[*n].name = json_string_value(name);
	v[*n].hash = XXH3_64bits(text, strlen(text));
	(*n)++;
	free(text);
	return 0;
}

/* One entry of "tools": a Gemini tool holds functionDeclarations, an
 * OpenAI chat tool wraps a "function", the others are the definition. */
static int collect(struct def *v, size_t *n, const json_t *t)
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

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct def *)a)->name, ((const struct def *)b)->name);
}

int genai_tool_defs__annotate(struct span *s, const json_t *req, const char *body, size_t len,
			      bool capture)
{
	const json_t *tools = json_object_get(req, "tools"), *t;
	json_t *full = NULL;
	struct def v[TOOL_DEFS_MAX];
	char items[TOOL_DEFS_MAX][TOOL_KEY_NAME_MAX + 20], all[17];
	const char *ptrs[TOOL_DEFS_MAX];
	uint64_t whole = 0;
	size_t n = 0, i;
	int err = 0;

	/* a skimmed request has "tools" emptied: parse the body when it has some */
	if (json_is_array(tools) && !json_array_size(tools) && body && len &&
	    memmem(body, len, "\"tools\"", 7)) {
		full = genai__json_load(body, len, 0);
		tools = json_object_get(full, "tools");
	}
	if (!json_is_array(tools) || !json_array_size(tools))
		goto out;
	json_array_foreach(tools, i, t)
		if (json_is_object(t) && (err = collect(v, &n, t)))
			goto out;
	if (!n)
		goto out;
	qsort(v, n, sizeof(v[0]), cmp);
	for (i = 0; i < n; i++) {
		snprintf(items[i], sizeof(items[i]), "%.*s=%016" PRIx64, TOOL_KEY_NAME_MAX - 1,
			 v[i].name, v[i].hash);
		ptrs[i] = items[i];
		whole = XXH3_64bits_withSeed(&v[i].hash, sizeof(v[i].hash), whole);
	}
	snprintf(all, sizeof(all), "%016" PRIx64, whole);
	err |= span__set_str(s, CN_TOOL_DEFINITIONS_HASH, all);
	err |= attrs__set_str_array(&s->attrs, CN_TOOL_DEFINITION_HASHES, ptrs, n);
	if (capture) {
		char *text = json_dumps(tools, JSON_COMPACT);

		err |= text ? span__set_str(s, CN_TOOL_DEFINITIONS, text) : -ENOMEM;
		free(text);
	}
out:
	json_decref(full);
	return err ? -ENOMEM : (int)n;
}
