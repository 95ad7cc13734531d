// SPDX-License-Identifier: MIT
#include <errno.h>

#include "contracts/def_hashes.h"
#include "contracts/names.h"
#include "tools/mcp_list.h"

int mcp_list__annotate(struct span *s, const json_t *result)
{
	const json_t *tools = json_object_get(result, "tools"), *t;
	struct def_hash v[DEF_HASHES_MAX];
	size_t n = 0, i;
	int err = 0;

	json_array_foreach(tools, i, t) {
		const json_t *name = json_object_get(t, "name");
		json_t *schemas;

		if (!json_is_string(name) || n == DEF_HASHES_MAX)
			continue;
		/* the structure a client relies on, not its prose */
		schemas = json_pack("{s:O?,s:O?}", "inputSchema", json_object_get(t, "inputSchema"),
				    "outputSchema", json_object_get(t, "outputSchema"));
		if (!schemas)
			return -ENOMEM;
		err = def_hashes__of_json(schemas, &v[n].hash);
		json_decref(schemas);
		if (err)
			return err;
		v[n++].name = json_string_value(name);
	}
	return n ? def_hashes__set(s, CN_TOOL_LISTED_HASHES, NULL, v, n) : 0;
}
