// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "genai/semconv.h"
#include "graph/facts.h"
#include "graph/norm.h"

/* Every span passes here, nearly all of them no chat call: clearing the
 * ~2 KiB struct each time was 1% of a traced wrk's daemon samples. */
void facts__release(struct facts *f)
{
	if (!f->held)
		return;
	for (size_t i = 0; i < f->n_results; i++) {
		free(f->results[i].id);
		free(f->results[i].text);
	}
	for (size_t i = 0; i < f->n_tools; i++) {
		free(f->tools[i].id);
		free(f->tools[i].name);
		free(f->tools[i].args);
	}
	free(f->response_id);
	free(f->prev_response_id);
	free(f->conversation);
	json_decref(f->in_msgs);
	json_decref(f->sys);
	/* roll[] is only read up to n_msgs: leave it */
	memset(f, 0, offsetof(struct facts, roll));
	memset(&f->n_msgs, 0, sizeof(*f) - offsetof(struct facts, n_msgs));
}

static int dup_str(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* The tool results of the trailing messages (after the last assistant
 * message): those are what this request hands back. */
static int take_results(struct facts *f, const json_t *msgs)
{
	size_t n = json_array_size(msgs), from = 0, i, k;
	const json_t *m, *p;

	for (i = n; i-- > 0;) {
		const char *role = json_string_value(json_object_get(json_array_get(msgs, i),
								      "role"));

		if (role && (!strcmp(role, "assistant") || !strcmp(role, "model"))) {
			from = i + 1;
			break;
		}
	}
	for (i = from; i < n; i++) {
		m = json_array_get(msgs, i);
		json_array_foreach(json_object_get(m, "parts"), k, p) {
			struct facts_result *r;
			const char *type = json_string_value(json_object_get(p, "type"));

			if (!type || strcmp(type, "tool_call_response"))
				continue;
			if (f->n_results == FACTS_MAX_RESULTS)
				return 0;
			r = &f->results[f->n_results++];
			r->text = norm__result_text(json_object_get(p, "response"), &r->len);
			if (!r->text || dup_str(&r->id, json_string_value(json_object_get(p, "id"))))
				return -ENOMEM;
		}
	}
	return 0;
}

/* The last message is the user's own words (not tool results, which
 * some providers send under the "user" role). */
static bool ends_with_user(const json_t *msgs)
{
	const json_t *m = json_array_get(msgs, json_array_size(msgs) - 1), *p;
	const char *role = json_string_value(json_object_get(m, "role"));
	size_t i;

	if (!role || strcmp(role, "user"))
		return false;
	json_array_foreach(json_object_get(m, "parts"), i, p)
		if (!strcmp(json_string_value(json_object_get(p, "type")) ?: "", "tool_call_response"))
			return false;
	return true;
}

static int take_request(struct facts *f, const struct genai_call *c, const json_t *req)
{
	const json_t *conv = json_object_get(req, "conversation");
	int err;

	/* "tools": OpenAI chat and Responses, Anthropic, Gemini, Ollama (the
	 * gen_ai stage says, it may not build them); "toolConfig.tools":
	 * Bedrock Converse */
	f->offers_tools = c->offers_tools ||
			  json_array_size(json_object_get(json_object_get(req, "toolConfig"),
							  "tools"));

	err = dup_str(&f->prev_response_id, json_string_value(json_object_get(req,
								   "previous_response_id")));
	if (json_is_object(conv))
		conv = json_object_get(conv, "id");
	return err ? err : dup_str(&f->conversation, json_string_value(conv));
}

int facts__take(struct facts *f, const struct genai_call *c, const json_t *req,
		const struct span *s)
{
	const char *ids[GENAI_MAX_TOOL_CALLS];
	const json_t *m;
	uint64_t h = 0;
	size_t i;
	int err = -ENOMEM;

	facts__release(f);
	if (!c->operation || (strcmp(c->operation, SC_OP_CHAT) &&
			      strcmp(c->operation, SC_OP_GENERATE_CONTENT)))
		return 0;
	f->held = true;
	json_array_foreach(c->input_messages, i, m) {
		if (i == FACTS_MAX_MSGS) {
			f->msgs_cut = true;
			break;
		}
		h = norm__roll(h, norm__msg_hash(m));
		f->roll[f->n_msgs++] = h;
	}
	f->in_hash = h;
	f->new_user = ends_with_user(c->input_messages);
	if (take_results(f, c->input_messages) || take_request(f, c, req))
		goto cleanup;
	for (i = 0; i < c->n_tools; i++) {
		const struct genai_tool_call *t = &c->tools[i];
		struct facts_tool *o = &f->tools[f->n_tools++];

		ids[i] = t->id;
		if (dup_str(&o->id, t->id) || dup_str(&o->name, t->name))
			goto cleanup;
		if (t->args.len) {
			o->args = strndup(t->args.s, t->args.len);
			o->args_len = t->args.len;
			if (!o->args)
				goto cleanup;
		}
	}
	f->out_hash = norm__out_hash(c->n_choices ? c->choices[0].text.s : NULL,
				     c->n_choices ? c->choices[0].text.len : 0, ids, c->n_tools);
	f->final = !c->n_tools && !c->error_type && c->n_choices && c->choices[0].finish_reason;
	if (dup_str(&f->response_id, c->response_id))
		goto cleanup;
	f->in_msgs = json_incref(c->input_messages);
	f->sys = json_incref(c->system_instructions);
	f->s = s;
	return 0;
cleanup:
	facts__release(f);
	return err;
}
