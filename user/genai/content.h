/* SPDX-License-Identifier: MIT */
/*
 * Builders for the semconv message JSON shapes (gen_ai.input.messages,
 * gen_ai.output.messages, gen_ai.system_instructions): messages are
 * {"role", "parts": [...]} and parts are text / tool_call /
 * tool_call_response / reasoning / generic {"type"}. Only used when
 * content capture is on. Texts are cut to max bytes on UTF-8 boundaries
 * since the serialised attribute is cut there anyway.
 * All return NULL on -ENOMEM (or invalid UTF-8 from a broken body).
 */
#ifndef AR_GENAI_CONTENT_H
#define AR_GENAI_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

json_t *genai_part__text(const char *s, size_t n, size_t max);
/* The same for a JSON string value (a NULL or non-string gives ""): the
 * value itself is shared, not copied, when it fits in max. */
json_t *genai_part__text_str(const json_t *str, size_t max);
/* {"type":"reasoning","content":...} */
json_t *genai_part__reasoning(const char *s, size_t n, size_t max);
/* arguments: args_json parsed as JSON when it parses, else kept as a
 * string; an object/array value (Anthropic input) may be passed as
 * args_obj instead (borrowed). */
json_t *genai_part__tool_call(const char *id, const char *name, const char *args_json,
			      size_t args_len, const json_t *args_obj, size_t max);
/* response: a string is cut to max; other JSON is copied (borrowed). */
json_t *genai_part__tool_response(const char *id, const json_t *response, size_t max);
/* {"type": type} for parts we do not copy (images, audio, files). */
json_t *genai_part__generic(const char *type);

/* {"role": role, "parts": parts}; steals parts. */
json_t *genai_msg__new(const char *role, json_t *parts);
/* Appends a message only if it has parts; steals msg. */
void genai_msgs__append(json_t *msgs, json_t *msg);

/* Serialises v compactly and cuts it to max bytes on a UTF-8 boundary.
 * *truncated is set when cut. Returns a malloc'd string or NULL. */
char *genai_content__dump(const json_t *v, size_t max, bool *truncated);

#endif
