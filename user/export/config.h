/* SPDX-License-Identifier: MIT */
/*
 * Exporter configuration. export_config__from_env() reads the standard
 * OpenTelemetry environment variables through a lookup function (so tests
 * need no real environment); the CLI then overrides fields in the struct.
 */
#ifndef AR_EXPORT_CONFIG_H
#define AR_EXPORT_CONFIG_H

#include <stdbool.h>

#include "trace/span.h"

enum export_kind { EXPORT_CONSOLE, EXPORT_OTLP, EXPORT_FILE, EXPORT_NONE };
enum otlp_protocol { OTLP_HTTP_PROTOBUF, OTLP_HTTP_JSON, OTLP_GRPC };

#define OTLP_DEFAULT_ENDPOINT "http://localhost:4318/v1/traces"
/* gRPC: scheme, host and port; the method path is the transport's. */
#define OTLP_GRPC_DEFAULT_ENDPOINT "http://localhost:4317"

/* 8192 spans of a few KiB fit; a flood of large spans does not grow the
 * daemon past its memory limit (deploy/: 256 MiB). */
#define EXPORT_QUEUE_BYTES_DEFAULT (48u << 20)

struct export_config {
	enum export_kind kind;
	enum otlp_protocol protocol;
	char *endpoint;             /* full traces URL (gRPC: the base URL), owned */
	struct attr_list headers;   /* extra HTTP headers (string attrs) */
	bool gzip;
	int timeout_ms;             /* per HTTP request */
	char *output_path;          /* file exporter; "-" is stdout */
	char *ca_file;              /* OTEL_EXPORTER_OTLP_CERTIFICATE (PEM) */
	char *client_cert;          /* ..._CLIENT_CERTIFICATE (PEM), mTLS */
	char *client_key;           /* ..._CLIENT_KEY (PEM), mTLS */
	struct attr_list resource;  /* the daemon's OTEL_RESOURCE_ATTRIBUTES */

	/* batching (OTEL_BSP_*) */
	int max_queue;              /* spans waiting; more are dropped */
	bool wait_for_room;         /* a full queue makes submit wait instead:
				     * analyze, whose input does not run away */
	size_t max_queue_bytes;     /* bytes of spans waiting (span__bytes); more
				     * are dropped. 0 = EXPORT_QUEUE_BYTES_DEFAULT */
	int max_batch;              /* spans per request */
	int batch_timeout_ms;       /* oldest queued span waits at most this */

	/* retry of 429/502/503/504 and connection failures */
	int retry_initial_ms;
	int retry_max_ms;           /* backoff cap */
	int retry_max_elapsed_ms;   /* give a batch up after this long */
};

/* Looks a variable up; returns NULL when unset. */
typedef const char *(*export_getenv_fn)(void *ctx, const char *name);

/* export_getenv_fn over the process environment. */
const char *export_config__process_env(void *ctx, const char *name);

/* Fills cfg with defaults (console exporter, nothing allocated). */
void export_config__init(struct export_config *cfg);

/*
 * Applies the OTEL_* variables on top of cfg's current values:
 * OTEL_TRACES_EXPORTER (otlp|console|none) wins if set, else an OTLP
 * endpoint selects otlp, else console. Unparseable numbers, protocols and
 * compressions are warned about and ignored. Returns 0, -EINVAL for an
 * unsupported OTEL_TRACES_EXPORTER or an endpoint that can never work (no
 * http(s) scheme, unparsable; logged), or -ENOMEM; cfg stays valid either way
 * (free it with export_config__release()).
 */
int export_config__from_env(struct export_config *cfg, export_getenv_fn get, void *ctx);

/* Frees what cfg owns and resets it to defaults. */
void export_config__release(struct export_config *cfg);

/* Deep copy. Returns 0 or -ENOMEM (dst released). */
int export_config__copy(struct export_config *dst, const struct export_config *src);

/*
 * Parses a "k1=v1,k2=v2" list (OTEL_*_HEADERS, OTEL_RESOURCE_ATTRIBUTES):
 * entries split on ',', key and value trimmed and percent-decoded, entries
 * without '=' or with an empty key skipped. Values are added as strings to
 * l, replacing equal keys. Returns the number of skipped entries, or
 * -ENOMEM (l may hold part of the list).
 */
int export_config__parse_kv(struct attr_list *l, const char *list);

/* Returns the traces URL for a base endpoint: base + "/v1/traces" without
 * a doubled slash, malloc'd, or NULL on -ENOMEM. */
char *export_config__traces_url(const char *base);

/* Returns 0 if url is an http:// or https:// URL with a host, else -EINVAL
 * with a reason for a log line in *why, or -ENOMEM. */
int export_config__check_url(const char *url, const char **why);

const char *export_kind__name(enum export_kind k);
/* "http/protobuf", "http/json" or "grpc". */
const char *otlp_protocol__name(enum otlp_protocol p);
/* The spec's default endpoint for p (4318/v1/traces, or 4317 for gRPC). */
const char *export_config__default_endpoint(enum otlp_protocol p);

#endif
