// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/mono_cond.h"
#include "common/safe_file.h"
#include "export/exporter_int.h"
#include "export/otlp_grpc.h"
#include "export/otlp_http.h"
#include "export/otlp_json.h"
#include "export/otlp_sender.h"

static void free_spans(struct span **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		span__free(v[i]);
}

/* One OTLP/JSON request per line; a failed write drops the batch (counted). */
static void deliver_file(struct exporter *e, struct span **batch, size_t n)
{
	char *s = otlp_json__encode(batch, n, &e->cfg.resource);
	bool ok = s && fputs(s, e->file) >= 0 && fputc('\n', e->file) != EOF &&
		  fflush(e->file) == 0;
	int err = s ? errno : ENOMEM;

	free(s);
	pthread_mutex_lock(&e->mu);
	if (ok) {
		e->st.exported_spans += n;
		e->st.export_requests_ok++;
	} else {
		e->st.dropped_failed += n;
		e->st.export_requests_failed++;
	}
	pthread_mutex_unlock(&e->mu);
	if (!ok)
		warn("file exporter: cannot write %zu spans: %s", n, strerror(err));
}

/* The console tree takes the spans (the batch slots are cleared) and
 * prints whole traces; a failed write drops the batch (counted). */
static void deliver_console(struct exporter *e, struct span **batch, size_t n)
{
	uint64_t now = exporter__mono_ns();
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		err |= console_tree__add(e->tree, batch[i], now);
		batch[i] = NULL;
	}
	err |= console_tree__flush(e->tree, now);

	pthread_mutex_lock(&e->mu);
	if (err)
		e->st.dropped_failed += n;
	else
		e->st.exported_spans += n;
	pthread_mutex_unlock(&e->mu);
}

static void deliver(struct exporter *e, struct span **batch, size_t n)
{
	switch (e->cfg.kind) {
	case EXPORT_OTLP:
		otlp_send__batch(e, batch, n);
		break;
	case EXPORT_FILE:
		deliver_file(e, batch, n);
		break;
	case EXPORT_CONSOLE:
		deliver_console(e, batch, n);
		break;
	case EXPORT_NONE:
		break;
	}
}

/* The exporter thread: waits for a full batch or the oldest span's batch
 * timeout, then delivers outside the lock. */
static void *run(void *arg)
{
	struct exporter *e = arg;
	size_t max = (size_t)e->cfg.max_batch, cap = (size_t)e->cfg.max_queue;
	uint64_t timeout_ns = (uint64_t)e->cfg.batch_timeout_ms * NS_PER_MS;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		size_t n;

		while (!e->stopping && e->count < max) {
			uint64_t next = e->tree ? console_tree__next(e->tree) : UINT64_MAX;

			if (!e->count && next == UINT64_MAX) {
				pthread_cond_wait(&e->cv, &e->mu);
			} else if (!e->count && exporter__mono_ns() >= next) {
				/* a held trace is ready; only this thread touches the tree */
				pthread_mutex_unlock(&e->mu);
				console_tree__flush(e->tree, exporter__mono_ns());
				pthread_mutex_lock(&e->mu);
			} else if (!e->count) {
				exporter__wait_until(e, next);
			} else if (exporter__mono_ns() >= e->first_ns + timeout_ns)
				break;
			else
				exporter__wait_until(e, e->first_ns + timeout_ns);
		}
		if (e->stopping && (!e->count || exporter__mono_ns() >= e->deadline_ns))
			break;
		n = e->count < max ? e->count : max;
		for (size_t i = 0; i < n; i++) {
			e->batch[i] = e->ring[e->head];
			e->queued_bytes -= span__bytes(e->batch[i]);
			e->ring[e->head] = NULL;
			e->head = (e->head + 1) % cap;
		}
		e->count -= n;
		e->inflight = n;
		pthread_cond_broadcast(&e->room);
		pthread_mutex_unlock(&e->mu);
		deliver(e, e->batch, n);
		free_spans(e->batch, n);
		pthread_mutex_lock(&e->mu);
		e->inflight = 0;
	}
	pthread_mutex_unlock(&e->mu);
	if (e->tree)
		console_tree__flush(e->tree, UINT64_MAX);
	return NULL;
}

static void exporter__destroy(struct exporter *e)
{
	if (!e)
		return;
	if (e->ring)
		for (size_t i = 0; i < e->count; i++)
			span__free(e->ring[(e->head + i) % (size_t)e->cfg.max_queue]);
	free(e->ring);
	free(e->batch);
	otlp_http__free(e->http);
	console_tree__free(e->tree);
	otlp_grpc__free(e->grpc);
	console__free(e->console);
	if (e->own_file && e->file)
		fclose(e->file);
	export_config__release(&e->cfg);
	pthread_cond_destroy(&e->cv);
	pthread_cond_destroy(&e->room);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

struct exporter *exporter__new_with_transport(const struct export_config *cfg,
					      const struct export_transport *t)
{
	struct exporter *e = calloc(1, sizeof(*e));
	int err;

	if (!e) {
		warn("exporter: %s", strerror(ENOMEM));
		return NULL;
	}
	pthread_mutex_init(&e->mu, NULL);
	mono_cond__init(&e->cv);
	mono_cond__init(&e->room);
	if (export_config__copy(&e->cfg, cfg)) {
		export_config__init(&e->cfg);
		err = -ENOMEM;
		goto cleanup;
	}
	if (e->cfg.max_queue < 1)
		e->cfg.max_queue = 1;
	if (e->cfg.max_batch < 1 || e->cfg.max_batch > e->cfg.max_queue)
		e->cfg.max_batch = e->cfg.max_queue;
	if (e->cfg.batch_timeout_ms < 0)
		e->cfg.batch_timeout_ms = 0;
	e->seed = (unsigned int)(exporter__mono_ns() ^ (uint64_t)getpid());
	err = -ENOMEM;
	e->ring = calloc((size_t)e->cfg.max_queue, sizeof(*e->ring));
	e->batch = calloc((size_t)e->cfg.max_batch, sizeof(*e->batch));
	if (!e->ring || !e->batch)
		goto cleanup;

	switch (e->cfg.kind) {
	case EXPORT_OTLP:
		if (!e->cfg.endpoint &&
		    !(e->cfg.endpoint = strdup(export_config__default_endpoint(e->cfg.protocol))))
			goto cleanup;
		otlp_http__redact_url(e->cfg.endpoint, e->url_log, sizeof(e->url_log));
		if (t) {
			e->tr = *t;
		} else if (e->cfg.protocol == OTLP_GRPC) {
			e->grpc = otlp_grpc__new(&e->cfg, OTLP_GRPC_TRACES_METHOD, &e->abort_at_ns);
			if (!e->grpc) {
				err = -EIO;
				goto cleanup;
			}
			e->tr = otlp_sender__transport(NULL, e->grpc);
		} else {
			e->http = otlp_http__new(&e->cfg, &e->abort_at_ns);
			if (!e->http) {
				err = -EIO;
				goto cleanup;
			}
			e->tr = otlp_sender__transport(e->http, NULL);
		}
		break;
	case EXPORT_FILE:
		if (!e->cfg.output_path || strcmp(e->cfg.output_path, "-") == 0) {
			e->file = stdout;
		} else {
			/* spans may carry content: owner-only, no symlinks */
			e->file = safe_file__fopen(e->cfg.output_path, true);
			if (!e->file) {
				err = -errno;
				warn("exporter: cannot open %s: %s", e->cfg.output_path,
				     strerror(-err));
				goto cleanup;
			}
			e->own_file = true;
		}
		break;
	case EXPORT_CONSOLE:
		e->console = console__new(stdout, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
		e->tree = e->console ? console_tree__new(e->console) : NULL;
		if (!e->tree)
			goto cleanup;
		break;
	case EXPORT_NONE:
		break;
	}
	err = -pthread_create(&e->thread, NULL, run, e);
	if (err)
		goto cleanup;
	if (e->cfg.kind == EXPORT_OTLP)
		info("exporting otlp %s to %s%s", otlp_protocol__name(e->cfg.protocol), e->url_log, e->cfg.gzip ? " (gzip)" : "");
	return e;
cleanup:
	warn("exporter: cannot start %s exporter: %s", export_kind__name(e->cfg.kind),
	     strerror(-err));
	exporter__destroy(e);
	return NULL;
}

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct exporter *exporter__new(const struct export_config *cfg)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	/* libcurl < 7.84 wants this before any other thread runs curl. */
	if (cfg->kind == EXPORT_OTLP)
		pthread_once(&once, curl_init_once);
	return exporter__new_with_transport(cfg, NULL);
}

/* A span with a value cut at the attribute cap says so, in a count. */
static void mark_truncated(struct exporter *e, struct span *s)
{
	if (!s->attrs.truncated)
		return;
	e->st.attrs_truncated++;
	span__set_int(s, "agentrace.attributes_truncated", (int64_t)s->attrs.truncated);
}

int exporter__submit(struct exporter *e, struct span *s)
{
	size_t bytes, max_bytes = e->cfg.max_queue_bytes ? e->cfg.max_queue_bytes
							   : EXPORT_QUEUE_BYTES_DEFAULT;
	int err = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&e->mu);
	mark_truncated(e, s);
	bytes = span__bytes(s);
	/* a span too big for even an empty queue is dropped below, not waited for */
	while (e->cfg.wait_for_room && !e->stopping && e->cfg.kind != EXPORT_NONE && e->count &&
	       (e->count >= (size_t)e->cfg.max_queue || e->queued_bytes + bytes > max_bytes))
		pthread_cond_wait(&e->room, &e->mu);
	if (e->stopping) {
		e->st.dropped_shutdown++;
		err = -ESHUTDOWN;
	} else if (e->cfg.kind == EXPORT_NONE) {
		/* Nothing to do; not counted as exported. */
	} else if (e->count >= (size_t)e->cfg.max_queue) {
		e->st.dropped_queue_full++;
		err = -ENOSPC;
	} else if (e->queued_bytes + bytes > max_bytes) {
		e->st.dropped_queue_bytes++;
		err = -ENOSPC;
	} else {
		e->queued_bytes += bytes;
		e->ring[(e->head + e->count) % (size_t)e->cfg.max_queue] = s;
		s = NULL;
		if (e->count++ == 0) {
			e->first_ns = exporter__mono_ns();
			pthread_cond_signal(&e->cv);
		} else if (e->count == (size_t)e->cfg.max_batch) {
			pthread_cond_signal(&e->cv);
		}
	}
	pthread_mutex_unlock(&e->mu);
	span__free(s);
	return err;
}

void exporter__stats(const struct exporter *e, struct export_stats *out)
{
	struct exporter *m = (struct exporter *)e; /* the mutex is not state */

	pthread_mutex_lock(&m->mu);
	*out = e->st;
	out->queued = e->count + e->inflight;
	out->queued_bytes = e->queued_bytes;
	pthread_mutex_unlock(&m->mu);
}

int exporter__shutdown(struct exporter *e, int deadline_ms)
{
	struct export_stats st;
	int err;

	if (!e)
		return 0;
	pthread_mutex_lock(&e->mu);
	e->stopping = true;
	e->deadline_ns = exporter__mono_ns() +
			 (uint64_t)(deadline_ms > 0 ? deadline_ms : 0) * NS_PER_MS;
	atomic_store(&e->abort_at_ns, e->deadline_ns);
	pthread_cond_broadcast(&e->cv);
	pthread_cond_broadcast(&e->room);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->thread, NULL);

	/* The thread stopped at the deadline; whatever is queued is lost. */
	e->st.dropped_shutdown += e->count;
	st = e->st;
	err = st.dropped_shutdown ? -ETIMEDOUT : 0;
	if (e->cfg.kind != EXPORT_NONE)
		info("exporter stopped: %llu spans exported, %llu retries, dropped: %llu queue full, "
		     "%llu failed, %llu at shutdown, %llu rejected by collector",
		     (unsigned long long)st.exported_spans, (unsigned long long)st.retries,
		     (unsigned long long)st.dropped_queue_full,
		     (unsigned long long)st.dropped_failed,
		     (unsigned long long)st.dropped_shutdown,
		     (unsigned long long)st.partial_success_rejected);
	exporter__destroy(e);
	return err;
}
