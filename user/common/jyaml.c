// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/jyaml.h"

#define JYAML_MAX_BYTES (1 << 20)
#define JYAML_MAX_DEPTH 32

/* A plain scalar as the JSON value it looks like. */
static json_t *scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	char *end;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(v, n);
	if (!strcmp(v, "true") || !strcmp(v, "True"))
		return json_true();
	if (!strcmp(v, "false") || !strcmp(v, "False"))
		return json_false();
	if (!n || !strcmp(v, "null") || !strcmp(v, "~"))
		return json_null();
	errno = 0;
	long long i = strtoll(v, &end, 10);

	if (!errno && !*end)
		return json_integer(i);
	errno = 0;
	double d = strtod(v, &end);

	if (!errno && !*end)
		return json_real(d);
	return json_stringn(v, n);
}

/* Parses one node whose first event is ev. Returns a new reference or NULL
 * with err set. */
static json_t *node(yaml_parser_t *p, yaml_event_t *ev, int depth, char *err, size_t errsz);

static bool next(yaml_parser_t *p, yaml_event_t *ev, char *err, size_t errsz)
{
	if (yaml_parser_parse(p, ev))
		return true;
	snprintf(err, errsz, "line %zu: %s", p->problem_mark.line + 1,
		 p->problem ? p->problem : "yaml syntax error");
	return false;
}

static json_t *node(yaml_parser_t *p, yaml_event_t *ev, int depth, char *err, size_t errsz)
{
	json_t *out = NULL;
	yaml_event_t e;
	size_t line = ev->start_mark.line + 1;

	if (depth > JYAML_MAX_DEPTH) {
		snprintf(err, errsz, "line %zu: nested too deeply", line);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor || (ev->data.scalar.tag && ev->data.scalar.plain_implicit == 0 &&
					      ev->data.scalar.quoted_implicit == 0)) {
			snprintf(err, errsz, "line %zu: anchors and tags are not supported", line);
			return NULL;
		}
		out = scalar(ev);
		break;
	case YAML_ALIAS_EVENT:
		snprintf(err, errsz, "line %zu: aliases are not supported", line);
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
		out = json_array();
		for (;;) {
			json_t *v;

			if (!next(p, &e, err, errsz))
				goto fail;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				break;
			}
			v = node(p, &e, depth + 1, err, errsz);
			yaml_event_delete(&e);
			if (!v || json_array_append_new(out, v))
				goto fail;
		}
		break;
	case YAML_MAPPING_START_EVENT:
		out = json_object();
		for (;;) {
			char key[256];
			json_t *v;

			if (!next(p, &e, err, errsz))
				goto fail;
			if (e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				break;
			}
			if (e.type != YAML_SCALAR_EVENT) {
				snprintf(err, errsz, "line %zu: a mapping key must be a string",
					 e.start_mark.line + 1);
				yaml_event_delete(&e);
				goto fail;
			}
			snprintf(key, sizeof(key), "%s", (const char *)e.data.scalar.value);
			yaml_event_delete(&e);
			if (!next(p, &e, err, errsz))
				goto fail;
			v = node(p, &e, depth + 1, err, errsz);
			yaml_event_delete(&e);
			if (!v || json_object_set_new(out, key, v))
				goto fail;
		}
		break;
	default:
		snprintf(err, errsz, "line %zu: unexpected yaml event", line);
		return NULL;
	}
	if (!out)
		snprintf(err, errsz, "out of memory");
	return out;
fail:
	if (!err[0])
		snprintf(err, errsz, "line %zu: out of memory", line);
	json_decref(out);
	return NULL;
}

static json_t *load_yaml(const char *buf, size_t len, char *err, size_t errsz)
{
	yaml_parser_t p;
	yaml_event_t e;
	json_t *out = NULL;

	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	/* stream start, document start, the node, then the end */
	while (next(&p, &e, err, errsz)) {
		if (e.type == YAML_STREAM_START_EVENT || e.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&e);
			continue;
		}
		if (e.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&e);
			if (!out)
				snprintf(err, errsz, "empty document");
			break;
		}
		if (e.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&e);
			continue;
		}
		if (out) {
			snprintf(err, errsz, "line %zu: only one document is allowed",
				 e.start_mark.line + 1);
			yaml_event_delete(&e);
			json_decref(out);
			out = NULL;
			break;
		}
		out = node(&p, &e, 0, err, errsz);
		yaml_event_delete(&e);
		if (!out)
			break;
	}
	yaml_parser_delete(&p);
	return out;
}

json_t *jyaml__load(const char *buf, size_t len, char *err, size_t errsz)
{
	size_t i = 0;
	json_error_t je;
	json_t *j;

	if (errsz)
		err[0] = '\0';
	while (i < len && strchr(" \t\r\n", buf[i]))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '[')) {
		j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
		if (!j)
			snprintf(err, errsz, "line %d: %s", je.line, je.text);
		return j;
	}
	return load_yaml(buf, len, err, errsz);
}

json_t *jyaml__load_file(const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	json_t *j;

	if (!f) {
		snprintf(err, errsz, "%s", strerror(errno));
		return NULL;
	}
	buf = malloc(JYAML_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, JYAML_MAX_BYTES + 1, f);
	fclose(f);
	if (n > JYAML_MAX_BYTES) {
		free(buf);
		snprintf(err, errsz, "larger than 1 MiB");
		return NULL;
	}
	j = jyaml__load(buf, n, err, errsz);
	free(buf);
	return j;
}
