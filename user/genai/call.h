/* SPDX-License-Identifier: MIT */
/*
 * struct genai_call: the one internal record every provider fills from an
 * HTTP exchange, and span_build turns into a span. Provider-neutral: no
 * field means "OpenAI" or "Anthropic". Arrays are bounded; what does not
 * fit is counted in the *_dropped fields, never grown past the caps.
 */
#ifndef AR_GENAI_CALL_H
#define AR_GENAI_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define GENAI_MAX_CHOICES 8     /* output messages (choices/candidates) */
#define GENAI_MAX_TOOL_CALLS 32 /* tool calls the model asked for */
#define GENAI_MAX_STOP 8        /* request stop sequences */
#define GENAI_STR_MAX 256       /* ids, model names, finish reasons, types */

/* A growable text bounded by a byte cap; cut on UTF-8 boundaries. */
struct genai_text {
	char *s;          /* NUL-terminated when len > 0 */
	size_t len, cap;
	bool truncated;   /* something was cut off at the cap */
};

struct genai_tool_call {
	uint32_t choice;       /* output message it belongs to */
	int64_t index;         /* provider's index (stream delta / content block) */
	char *id;              /* exactly as on the wire */
	char *name;
	struct genai_text args; /* arguments JSON text, only with capture */
};

struct genai_choice {
	bool used;
	char *finish_reason;    /* provider's raw value */
	struct genai_text text; /* assistant text, only with capture */
};

struct genai_usage {
	bool has_input, has_output, has_cache_read, has_cache_creation, has_reasoning;
	int64_t input;          /* includes cached tokens, as the semconv asks */
	int64_t output;         /* includes reasoning tokens */
	int64_t cache_read, cache_creation, reasoning;
};

/* For providers whose input count leaves out cache reads and writes
 * (Anthropic, Bedrock): the semconv input count is the sum. */
void genai_usage__set_input_plus_cache(struct genai_usage *g, int64_t uncached);

/* Maps a provider's raw finish reason through a {raw, semconv} table.
 * Returns the semconv value, or NULL when raw is not in the table. */
const char *genai__finish_map(const char *const (*map)[2], size_t n, const char *raw);
#define GENAI_FINISH_MAP(map, raw) genai__finish_map(map, sizeof(map) / sizeof((map)[0]), raw)

struct genai_call {
	/* set by the recognising provider */
	const char *operation;  /* SC_OP_* (static) */
	const char *provider;   /* gen_ai.provider.name value (static) */
	int endpoint;           /* provider-private endpoint id */

	/* request */
	char *request_model;
	bool has_temperature, has_top_p, has_top_k, has_max_tokens, has_seed;
	bool has_choice_count, has_dimensions, has_stream;
	double temperature, top_p, top_k;
	int64_t max_tokens, seed, choice_count, dimensions;
	bool stream;            /* the request asked for a stream */
	char *stop[GENAI_MAX_STOP];
	size_t n_stop;
	char *encoding_format;
	bool offers_tools;      /* "tools" is a non-empty array (set by
				 * span_build.c, which may leave it unparsed) */

	/* response */
	bool resp_stream;       /* the response body was an event stream */
	bool terminated;        /* the stream's terminal event was seen */
	bool trailer_pending;   /* ...but the protocol still owes an event
				 * (Bedrock's metadata after messageStop) */
	char *response_id;
	char *response_model;
	struct genai_choice choices[GENAI_MAX_CHOICES];
	size_t n_choices;       /* highest used index + 1 */
	struct genai_usage usage;
	struct genai_tool_call tools[GENAI_MAX_TOOL_CALLS];
	size_t n_tools;
	uint32_t tools_dropped, choices_dropped;
	char *error_type;       /* provider's error type, NULL if none */

	/* content, filled only when capture is on (semconv JSON shapes) */
	bool capture;
	size_t content_max;     /* byte cap per content attribute */
	json_t *input_messages;
	json_t *system_instructions;
};

/* Zeroes c and sets the capture settings. */
void genai_call__init(struct genai_call *c, bool capture, size_t content_max);
/* Frees everything c owns; c is zeroed. */
void genai_call__release(struct genai_call *c);

/* Replaces *dst with a copy of s[0..n) cut to GENAI_STR_MAX bytes (on a
 * UTF-8 boundary). Returns 0 or -ENOMEM (*dst unchanged). */
int genai__set_str(char **dst, const char *s, size_t n);
/* Same, from a JSON string value; a non-string leaves *dst unchanged and
 * returns -EINVAL. */
int genai__set_json_str(char **dst, const json_t *v);
/* Same for a request "model": an empty string counts as missing (leaves
 * *dst unchanged, returns -EINVAL), so a provider's path or deployment
 * fallback still applies to `"model": ""`. */
int genai__set_json_model(char **dst, const json_t *v);

/* Appends s[0..n) to t, keeping t->len <= cap and t whole UTF-8; sets
 * t->truncated on a cut. Returns 0 or -ENOMEM (t keeps what it had). */
int genai_text__append(struct genai_text *t, const char *s, size_t n, size_t cap);
void genai_text__release(struct genai_text *t);
/* Appends v (any JSON value) serialised compactly, in key order as
 * parsed. Returns 0 or -ENOMEM. */
int genai_text__append_json(struct genai_text *t, const json_t *v, size_t cap);

/* Largest len <= max such that s[0..len) does not end inside a UTF-8
 * sequence. */
size_t genai__utf8_cut(const char *s, size_t n, size_t max);

/* The choice at idx, marked used; NULL (and counted) when idx is past
 * GENAI_MAX_CHOICES or negative. */
struct genai_choice *genai_call__choice(struct genai_call *c, int64_t idx);
/* The tool call (choice, index), created if new; NULL (and counted) when
 * the array is full. */
struct genai_tool_call *genai_call__tool(struct genai_call *c, uint32_t choice,
					 int64_t index);

/* JSON helpers: typed field reads that fail quietly on a wrong type. */
const char *genai__jstr(const json_t *o, const char *key);
bool genai__jint(const json_t *o, const char *key, int64_t *out);
bool genai__jnum(const json_t *o, const char *key, double *out);

#endif
