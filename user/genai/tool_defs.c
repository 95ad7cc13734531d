// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "contracts/def_hashes.h"
#include "contracts/names.h"
#include "genai/jskim.h"
#include "genai/tool_defs.h"

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

int genai_tool_defs__annotate(struct span *s, const json_t *req, const char *body, size_t len,
			      bool capture)
{
	const json_t *tools = json_object_get(req, "tools"), *t;
	json_t *full = NULL;
	struct def_hash v[DEF_HASHES_MAX];
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
	err |= def_hashes__set(s, CN_TOOL_DEFINITION_HASHES, CN_TOOL_DEFINITIONS_HASH, v, n);
	if (capture) {
		char *text = json_dumps(tools, JSON_COMPACT);

		err |= text ? span__set_str(s, CN_TOOL_DEFINITIONS, text) : -ENOMEM;
		free(text);
	}
out:
	json_decref(full);
	return err ? -ENOMEM : (int)n;
}
