// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "genai/call.h"

void genai_call__init(struct genai_call *c, bool capture, size_t content_max)
{
	memset(c, 0, sizeof(*c));
	c->capture = capture;
	c->content_max = content_max;
}

void genai_text__release(struct genai_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

void genai_call__release(struct genai_call *c)
{
	size_t i;

	free(c->request_model);
	for (i = 0; i < c->n_stop; i++)
		free(c->stop[i]);
	free(c->encoding_format);
	free(c->response_id);
	free(c->response_model);
	for (i = 0; i < GENAI_MAX_CHOICES; i++) {
		free(c->choices[i].finish_reason);
		genai_text__release(&c->choices[i].text);
	}
	for (i = 0; i < c->n_tools; i++) {
		free(c->tools[i].id);
		free(c->tools[i].name);
		genai_text__release(&c->tools[i].args);
	}
	free(c->error_type);
	json_decref(c->input_messages);
	json_decref(c->system_instructions);
	memset(c, 0, sizeof(*c));
}

size_t genai__utf8_cut(const char *s, size_t n, size_t max)
{
	size_t len = max;

	if (n <= max)
		return n;
	/* s[len] is the first byte left out: while it continues a sequence,
	 * the cut splits a character, so move before that character */
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80 && max - len < 3)
		len--;
	return len;
}

int genai__set_str(char **dst, const char *s, size_t n)
{
	char *d;

	n = genai__utf8_cut(s, n, GENAI_STR_MAX);
	d = malloc(n + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d, s, n);
	d[n] = '\0';
	free(*dst);
	*dst = d;
	return 0;
}

int genai__set_json_str(char **dst, const json_t *v)
{
	if (!json_is_string(v))
		return -EINVAL;
	return genai__set_str(dst, json_string_value(v), json_string_length(v));
}

int genai__set_json_model(char **dst, const json_t *v)
{
	if (!json_string_length(v))
		return -EINVAL;
	return genai__set_json_str(dst, v);
}

int genai_text__append(struct genai_text *t, const char *s, size_t n, size_t cap)
{
	size_t room, take;

	if (t->len >= cap) {
		if (n)
			t->truncated = true;
		return 0;
	}
	room = cap - t->len;
	take = genai__utf8_cut(s, n, room);
	if (take < n)
		t->truncated = true;
	if (!take)
		return 0;
	if (t->len + take + 1 > t->cap) {
		size_t nc = t->cap ? t->cap : 64;
		char *p;

		while (nc < t->len + take + 1)
			nc *= 2;
		p = realloc(t->s, nc);
		if (!p)
			return -ENOMEM;
		t->s = p;
		t->cap = nc;
	}
	memcpy(t->s + t->len, s, take);
	t->len += take;
	t->s[t->len] = '\0';
	return 0;
}

int genai_text__append_json(struct genai_text *t, const json_t *v, size_t cap)
{
	char *s;
	int err;

	if (!v)
		return 0;
	s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (!s)
		return -ENOMEM;
	err = genai_text__append(t, s, strlen(s), cap);
	free(s);
	return err;
}

struct genai_choice *genai_call__choice(struct genai_call *c, int64_t idx)
{
	if (idx < 0 || idx >= GENAI_MAX_CHOICES) {
		c->choices_dropped++;
		return NULL;
	}
	c->choices[idx].used = true;
	if ((size_t)idx + 1 > c->n_choices)
		c->n_choices = idx + 1;
	return &c->choices[idx];
}

struct genai_tool_call *genai_call__tool(struct genai_call *c, uint32_t choice,
					 int64_t index)
{
	struct genai_tool_call *t;
	size_t i;

	for (i = 0; i < c->n_tools; i++)
		if (c->tools[i].choice == choice && c->tools[i].index == index)
			return &c->tools[i];
	if (c->n_tools == GENAI_MAX_TOOL_CALLS) {
		c->tools_dropped++;
		return NULL;
	}
	t = &c->tools[c->n_tools++];
	memset(t, 0, sizeof(*t));
	t->choice = choice;
	t->index = index;
	return t;
}

const char *genai__jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

bool genai__jint(const json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) { /* some servers send 10.0 */
		double d = json_real_value(v);

		/* Out of int64 range (or NaN): converting would be undefined. */
		if (!(d > -9.2e18 && d < 9.2e18))
			return false;
		*out = (int64_t)d;
		return true;
	}
	return false;
}

bool genai__jnum(const json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

void genai_usage__set_input_plus_cache(struct genai_usage *g, int64_t uncached)
{
	g->has_input = true;
	g->input = uncached + (g->has_cache_read ? g->cache_read : 0) +
		   (g->has_cache_creation ? g->cache_creation : 0);
}

const char *genai__finish_map(const char *const (*map)[2], size_t n, const char *raw)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(raw, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}
