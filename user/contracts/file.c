// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jyaml.h"
#include "contracts/file.h"

int contract__parse_hash(const char *s, uint64_t *out)
{
	char *end;

	if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16)
		return -EINVAL;
	*out = strtoull(s, &end, 16);
	return 0;
}

static int entry(struct contract *c, const json_t *o, size_t i, char *err, size_t errsz)
{
	const json_t *name = json_object_get(o, "name"), *host = json_object_get(o, "host");
	const json_t *path = json_object_get(o, "path"), *ver = json_object_get(o, "version");
	const json_t *hs = json_object_get(o, "schema_hashes"), *h;
	const char *k;
	json_t *v;
	size_t j;

	if (!json_is_object(o)) {
		snprintf(err, errsz, "tools[%zu]: expected a mapping", i);
		return -EINVAL;
	}
	json_object_foreach((json_t *)o, k, v)
		if (strcmp(k, "name") && strcmp(k, "host") && strcmp(k, "path") &&
		    strcmp(k, "version") && strcmp(k, "schema_hashes")) {
			snprintf(err, errsz, "tools[%zu].%s: unknown key (name, host, path, "
				 "version, schema_hashes)", i, k);
			return -EINVAL;
		}
	if (name && (host || path)) {
		snprintf(err, errsz, "tools[%zu]: give either name or host and path", i);
		return -EINVAL;
	}
	if (name) {
		if (!json_is_string(name) || !json_string_length(name) ||
		    json_string_length(name) >= sizeof(c->key)) {
			snprintf(err, errsz, "tools[%zu].name: expected a tool name", i);
			return -EINVAL;
		}
		snprintf(c->key, sizeof(c->key), "%s", json_string_value(name));
	} else {
		if (!json_is_string(host) || !json_string_length(host) || !json_is_string(path) ||
		    json_string_value(path)[0] != '/') {
			snprintf(err, errsz, "tools[%zu]: needs name, or host and a path "
				 "starting with /", i);
			return -EINVAL;
		}
		if (json_string_length(host) + json_string_length(path) >= sizeof(c->key)) {
			snprintf(err, errsz, "tools[%zu]: host and path too long", i);
			return -EINVAL;
		}
		/* the same template a span's URL gets */
		snprintf(c->key, sizeof(c->key), "%s", json_string_value(host));
		tool_key__path_template(json_string_value(path), c->key + strlen(c->key),
					sizeof(c->key) - strlen(c->key));
	}
	if (json_is_integer(ver))
		snprintf(c->version, sizeof(c->version), "%lld", (long long)json_integer_value(ver));
	else if (json_is_string(ver) && json_string_length(ver) &&
		 json_string_length(ver) < sizeof(c->version))
		snprintf(c->version, sizeof(c->version), "%s", json_string_value(ver));
	else {
		snprintf(err, errsz, "tools[%zu].version: expected a short string", i);
		return -EINVAL;
	}
	if (!json_is_array(hs) || !json_array_size(hs) ||
	    json_array_size(hs) > CONTRACT_MAX_HASHES) {
		snprintf(err, errsz, "tools[%zu].schema_hashes: expected a list of 1 to %d hashes",
			 i, CONTRACT_MAX_HASHES);
		return -EINVAL;
	}
	json_array_foreach(hs, j, h) {
		char digits[32] = "";

		/* an all-digit hash left unquoted in YAML reads as a number */
		if (json_is_integer(h))
			snprintf(digits, sizeof(digits), "%lld", (long long)json_integer_value(h));
		else if (json_is_string(h))
			snprintf(digits, sizeof(digits), "%s", json_string_value(h));
		if (contract__parse_hash(digits, &c->hashes[j])) {
			snprintf(err, errsz, "tools[%zu].schema_hashes[%zu]: expected 16 hex digits "
				 "(a tool.schema.hash; quote it in YAML)", i, j);
			return -EINVAL;
		}
	}
	c->n_hashes = json_array_size(hs);
	return 0;
}

int contract_set__parse(struct contract_set *cs, const json_t *root, char *err, size_t errsz)
{
	const json_t *tools = json_object_get(root, "tools"), *o;
	size_t i;
	int ret;

	memset(cs, 0, sizeof(*cs));
	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(tools)) {
		snprintf(err, errsz, "expected a mapping with one key, tools: a list of tools");
		return -EINVAL;
	}
	if (json_array_size(tools) > CONTRACT_MAX_ENTRIES) {
		snprintf(err, errsz, "more than %d tools", CONTRACT_MAX_ENTRIES);
		return -EINVAL;
	}
	cs->v = calloc(json_array_size(tools) + 1, sizeof(*cs->v));
	if (!cs->v)
		return -ENOMEM;
	json_array_foreach(tools, i, o) {
		if ((ret = entry(&cs->v[i], o, i, err, errsz)))
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cs->v[j].key, cs->v[i].key) &&
			    !strcmp(cs->v[j].version, cs->v[i].version)) {
				snprintf(err, errsz, "tools[%zu]: %s version %s is declared twice", i,
					 cs->v[i].key, cs->v[i].version);
				ret = -EINVAL;
				goto fail;
			}
		cs->n++;
	}
	return 0;
fail:
	contract_set__release(cs);
	return ret;
}

int contract_set__load(struct contract_set *cs, const char *path, char *err, size_t errsz)
{
	json_t *root = jyaml__load_file(path, err, errsz);
	int ret;

	memset(cs, 0, sizeof(*cs));
	if (!root)
		return -EINVAL;
	ret = contract_set__parse(cs, root, err, errsz);
	json_decref(root);
	return ret;
}

void contract_set__release(struct contract_set *cs)
{
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}
