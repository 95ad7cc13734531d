// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "genai/jskim.h"
#include "genai/call.h"
#include "genai/content.h"

static json_t *str_cut(const char *s, size_t n, size_t max)
{
	return json_stringn(s ? s : "", s ? genai__utf8_cut(s, n, max) : 0);
}

/* {"type": type, "content": content}; steals content. type and the keys
 * are our own ASCII literals: no UTF-8 check. */
static json_t *part_with_value(const char *type, json_t *content)
{
	json_t *p = content ? json_object() : NULL;

	if (!p || json_object_set_new_nocheck(p, "type", json_string_nocheck(type)) ||
	    json_object_set_new_nocheck(p, "content", content)) {
		json_decref(p ? p : content);
		return NULL;
	}
	return p;
}

static json_t *part_with_content(const char *type, const char *s, size_t n, size_t max)
{
	return part_with_value(type, str_cut(s, n, max));
}

json_t *genai_part__text(const char *s, size_t n, size_t max)
{
	return part_with_content("text", s, n, max);
}

json_t *genai_part__text_str(const json_t *str, size_t max)
{
	const char *s = json_string_value(str);
	size_t n = json_string_length(str);

	/* shared with the parsed request when it fits: no copy, no re-check */
	if (s && genai__utf8_cut(s, n, max) == n)
		return part_with_value("text", json_incref((json_t *)str));
	return part_with_content("text", s, n, max);
}

json_t *genai_part__reasoning(const char *s, size_t n, size_t max)
{
	return part_with_content("reasoning", s, n, max);
}

json_t *genai_part__tool_call(const char *id, const char *name, const char *args_json,
			      size_t args_len, const json_t *args_obj, size_t max)
{
	json_t *p = json_object(), *args = NULL;

	if (!p)
		return NULL;
	json_object_set_new(p, "type", json_string("tool_call"));
	if (id)
		json_object_set_new(p, "id", json_string(id));
	json_object_set_new(p, "name", json_string(name ? name : ""));
	if (args_obj) {
		args = json_deep_copy(args_obj);
	} else if (args_json && args_len) {
		args = genai__json_load(args_json, args_len, 0);
		if (!args) /* partial or cut arguments stay text */
			args = str_cut(args_json, args_len, max);
	}
	if (args)
		json_object_set_new(p, "arguments", args);
	return p;
}

json_t *genai_part__tool_response(const char *id, const json_t *response, size_t max)
{
	json_t *p = json_object(), *r;

	if (!p)
		return NULL;
	json_object_set_new(p, "type", json_string("tool_call_response"));
	if (id)
		json_object_set_new(p, "id", json_string(id));
	if (json_is_string(response))
		r = str_cut(json_string_value(response), json_string_length(response), max);
	else if (response)
		r = json_deep_copy(response);
	else
		r = json_null();
	json_object_set_new(p, "response", r);
	return p;
}

json_t *genai_part__generic(const char *type)
{
	json_t *p = json_object();

	if (p)
		json_object_set_new(p, "type", json_string(type ? type : "unknown"));
	return p;
}

json_t *genai_msg__new(const char *role, json_t *parts)
{
	json_t *m;

	if (!parts)
		return NULL;
	m = json_object();
	if (!m) {
		json_decref(parts);
		return NULL;
	}
	json_object_set_new_nocheck(m, "role", json_string(role ? role : "user"));
	json_object_set_new_nocheck(m, "parts", parts);
	return m;
}

void genai_msgs__append(json_t *msgs, json_t *msg)
{
	if (!msg)
		return;
	if (json_array_size(json_object_get(msg, "parts")) == 0) {
		json_decref(msg);
		return;
	}
	json_array_append_new(msgs, msg);
}

char *genai_content__dump(const json_t *v, size_t max, bool *truncated)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n, cut;

	if (!s)
		return NULL;
	n = strlen(s);
	cut = genai__utf8_cut(s, n, max);
	if (cut < n) {
		s[cut] = '\0';
		*truncated = true;
	}
	return s;
}
