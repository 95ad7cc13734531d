// SPDX-License-Identifier: MIT
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/hex.h"
#include "contracts/def_hashes.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct def_hash *)a)->name, ((const struct def_hash *)b)->name);
}

int def_hashes__set(struct span *s, const char *attr, const char *whole_attr,
		    struct def_hash *v, size_t n)
{
	char items[DEF_HASHES_MAX][DEF_NAME_MAX + 20], all[17];
	const char *ptrs[DEF_HASHES_MAX];
	uint64_t whole = 0;
	int err = 0;

	if (n > DEF_HASHES_MAX)
		n = DEF_HASHES_MAX;
	qsort(v, n, sizeof(v[0]), cmp);
	for (size_t i = 0; i < n; i++) {
		/* "name=hash", the name cut at DEF_NAME_MAX - 1 bytes */
		size_t nl = strnlen(v[i].name, DEF_NAME_MAX - 1);

		memcpy(items[i], v[i].name, nl);
		items[i][nl] = '=';
		hex__u64(items[i] + nl + 1, v[i].hash);
		ptrs[i] = items[i];
		whole = XXH3_64bits_withSeed(&v[i].hash, sizeof(v[i].hash), whole);
	}
	hex__u64(all, whole);
	if (whole_attr)
		err |= span__set_str(s, whole_attr, all);
	err |= attrs__set_str_array(&s->attrs, attr, ptrs, n);
	return err ? -ENOMEM : 0;
}

int def_hashes__of_json(const void *o, uint64_t *out)
{
	char *text = json_dumps((const json_t *)o, JSON_SORT_KEYS | JSON_COMPACT);

	if (!text)
		return -ENOMEM;
	*out = XXH3_64bits(text, strlen(text));
	free(text);
	return 0;
}
