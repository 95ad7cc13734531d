/* SPDX-License-Identifier: MIT */
/*
 * The span model every stage after parsing shares: an OpenTelemetry span
 * with typed attributes, events and the identity of the traced process.
 * Spans own all their strings. Not thread-safe; a span is handed from the
 * parser thread to the exporter thread whole.
 */
#ifndef AR_TRACE_SPAN_H
#define AR_TRACE_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* OTLP SpanKind values. */
enum span_kind {
	SPAN_KIND_UNSPECIFIED = 0,
	SPAN_KIND_INTERNAL = 1,
	SPAN_KIND_SERVER = 2,
	SPAN_KIND_CLIENT = 3,
	SPAN_KIND_PRODUCER = 4,
	SPAN_KIND_CONSUMER = 5,
};

/* OTLP Status.code values. */
enum span_status {
	SPAN_STATUS_UNSET = 0,
	SPAN_STATUS_OK = 1,
	SPAN_STATUS_ERROR = 2,
};

enum attr_type { ATTR_STR, ATTR_INT, ATTR_DOUBLE, ATTR_BOOL, ATTR_STR_ARRAY };

struct attr {
	char *key;
	enum attr_type type;
	uint32_t key_tag;  /* set by span.c: compared before the key itself */
	union {
		char *s;
		int64_t i;
		double d;
		bool b;
		struct {
			char **v;
			size_t n;
		} arr;
	};
};

struct attr_block;

struct attr_list {
	struct attr *v;
	size_t n, cap;
	size_t truncated; /* string values cut at the attribute value cap */
	uint64_t tags[2]; /* set by span.c: a bit per key tag present, so
			   * that setting a new key skips the duplicate scan */
	/* Set by span.c. Keys and string values are carved from arena and
	 * freed with it; a replaced value stays there, counted in dead, until
	 * dead outgrows the live bytes and the arena is repacked. bytes is
	 * what span__bytes counts for the list (keys, values, struct attrs). */
	struct attr_block *arena;
	size_t bytes, dead;
};

struct span_event {
	char *name;
	uint64_t time_ns; /* unix epoch ns */
	struct attr_list attrs;
};

/* A link to another span (OTLP Span.Link), e.g. from the LLM call that
 * consumed a tool result to the execute_tool span that produced it. */
struct span_link {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	struct attr_list attrs;
};

/* Identity of the traced process; becomes the OTLP Resource. */
struct span_process {
	uint32_t pid;
	char exe_name[64];
	char exe_path[256];
	char service_name[128];
	char container_id[80];
	char pod_uid[48];
	char qos_class[16];  /* Kubernetes QoS class from the cgroup path, or "" */
	char owner[32];           /* process.owner, or "" */
	char runtime_name[16];    /* process.runtime.name, or "" */
	char runtime_version[48]; /* process.runtime.version, or "" */
};

struct span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8]; /* all zero: root */
	uint8_t trace_flags;       /* W3C flags, bit 0 = sampled */
	char *trace_state;         /* W3C tracestate, NULL if none */
	char *name;
	enum span_kind kind;
	uint64_t start_ns, end_ns; /* unix epoch ns */
	enum span_status status;
	char *status_message;
	struct attr_list attrs;
	struct span_event *events;
	size_t n_events, cap_events;
	struct span_link *links;
	size_t n_links, cap_links;
	struct span_process proc;
	uint32_t tid;              /* thread that made the call */
	uint64_t conn_id;          /* connection the call used */
};

/* Returns a zeroed span named name, or NULL on -ENOMEM. */
struct span *span__new(const char *name, enum span_kind kind);
/* Writes "op target" (gen_ai's "{operation} {target}" span name), or "op"
 * when target is NULL, into buf, cut to size - 1 bytes as snprintf cuts:
 * snprintf's format parsing was a visible share of a call's cost. */
void span__join_name(char *buf, size_t size, const char *op, const char *target);
void span__free(struct span *s);
/* Replaces the name. Returns 0 or -ENOMEM (name unchanged). */
int span__set_name(struct span *s, const char *name);

/* Setters replace an existing key. They return 0, or -ENOMEM and leave
 * the list unchanged. A set may move the attr array (as realloc did), and
 * once the values replaced on a list pass 64 KiB and outweigh the live
 * ones it repacks, moving every value: hold no attr or value pointer
 * across a set on the same list. */
/* Every string value is capped (a wire value such as a JSON-RPC id or a
 * session header can be megabytes): longer ones are cut on a UTF-8
 * boundary and counted in l->truncated. Process-wide; default
 * ATTR_VALUE_MAX_DEFAULT, never below 64. */
#define ATTR_VALUE_MAX_DEFAULT 8192
void attrs__set_value_max(size_t max);
size_t attrs__value_max(void);
/* Bytes a span holds (name, keys, string values, events, and replaced
 * values its arenas still hold): for queue bounds. O(events). */
size_t span__bytes(const struct span *s);
/* What the setters below call, with the key's length given: they are
 * inline so that a literal key's strlen folds away. attrs__put_str takes
 * val's length n, which exact says holds no NUL (else val may end before
 * n, as strndup ends it); attrs__put sets a value that holds no string
 * (-EINVAL for ATTR_STR and ATTR_STR_ARRAY). */
int attrs__put_str(struct attr_list *l, const char *key, size_t key_len, const char *val,
		   size_t n, bool exact);
int attrs__put(struct attr_list *l, const char *key, size_t key_len, const struct attr *val);

static inline int attrs__set_str(struct attr_list *l, const char *key, const char *val)
{
	return attrs__put_str(l, key, strlen(key), val, strlen(val), true);
}

static inline int attrs__set_strn(struct attr_list *l, const char *key, const char *val,
				  size_t n)
{
	return attrs__put_str(l, key, strlen(key), val, n, false);
}

static inline int attrs__set_int(struct attr_list *l, const char *key, int64_t val)
{
	struct attr a = { .type = ATTR_INT, .i = val };

	return attrs__put(l, key, strlen(key), &a);
}

static inline int attrs__set_double(struct attr_list *l, const char *key, double val)
{
	struct attr a = { .type = ATTR_DOUBLE, .d = val };

	return attrs__put(l, key, strlen(key), &a);
}

static inline int attrs__set_bool(struct attr_list *l, const char *key, bool val)
{
	struct attr a = { .type = ATTR_BOOL, .b = val };

	return attrs__put(l, key, strlen(key), &a);
}

int attrs__set_str_array(struct attr_list *l, const char *key,
			 const char *const *vals, size_t n);
/* Adds (or replaces) every attribute of src in dst. Returns 0 or -ENOMEM
 * (dst may hold some). */
int attrs__copy(struct attr_list *dst, const struct attr_list *src);
const struct attr *attrs__get(const struct attr_list *l, const char *key);
void attrs__clear(struct attr_list *l);

/* Appends an event and returns it, or NULL on -ENOMEM. */
struct span_event *span__add_event(struct span *s, const char *name, uint64_t time_ns);

/* Appends a link to (trace_id, span_id) and returns it, or NULL on -ENOMEM. */
struct span_link *span__add_link(struct span *s, const uint8_t trace_id[16],
				 const uint8_t span_id[8]);

/* Convenience wrappers over attrs__* on s->attrs. */
#define span__set_str(s, k, v) attrs__set_str(&(s)->attrs, (k), (v))
#define span__set_int(s, k, v) attrs__set_int(&(s)->attrs, (k), (v))
#define span__set_double(s, k, v) attrs__set_double(&(s)->attrs, (k), (v))
#define span__set_bool(s, k, v) attrs__set_bool(&(s)->attrs, (k), (v))
#define span__get(s, k) attrs__get(&(s)->attrs, (k))

#endif
