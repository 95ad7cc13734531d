// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture/file.h"
#include "cli/args.h"
#include "common/log.h"
#include "conn/dump.h"
#include "conn/role.h"
#include "conn/table.h"
#include "pipeline.h"
#include "span_path.h"

struct pipeline {
	struct conn_table *conns;
	struct stream_dump *dump;
	struct span_path *spans;
	struct stream_sink span_sink; /* wrapped to add --summaries */
	struct capture_writer *writer;
	uint64_t mono_to_real_ns;
	uint64_t records, malformed, write_errors;
	bool summaries;
};

/* "addr:port" for one side of a tuple. */
static void fmt_endpoint(const struct ar_tuple *t, bool local, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	const uint8_t *addr = local ? t->saddr : t->daddr;

	inet_ntop(t->family == 10 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(out, cap, t->family == 10 ? "[%s]:%u" : "%s:%u", a,
		 local ? t->sport : t->dport);
}

/* --summaries: one line per finished connection. */
static void print_summary(struct conn_meta *c)
{
	char l[64] = "-", r[64] = "-";

	if (c->has_tuple) {
		fmt_endpoint(&c->tuple, true, l, sizeof(l));
		fmt_endpoint(&c->tuple, false, r, sizeof(r));
	}
	printf("conn %" PRIu64 " pid %u (%s) %s %s -> %s%s out=%" PRIu64 "B in=%" PRIu64
	       "B gaps=%" PRIu64 "B\n",
	       c->conn_id, c->tgid, c->comm, conn_role__name(c->role), l, r,
	       c->is_tls ? " tls" : "", c->bytes[AR_DIR_EGRESS], c->bytes[AR_DIR_INGRESS],
	       c->gaps[0] + c->gaps[1]);
	fflush(stdout);
}

/* The span sink, with a summary line added at close when asked for. */
static void tee_open(void *ctx, struct conn_meta *c)
{
	struct pipeline *p = ctx;

	if (p->span_sink.on_open)
		p->span_sink.on_open(p->span_sink.ctx, c);
}

static void tee_data(void *ctx, struct conn_meta *c, int dir, const uint8_t *data,
		     size_t len, uint64_t ts, uint32_t tid)
{
	struct pipeline *p = ctx;

	p->span_sink.on_data(p->span_sink.ctx, c, dir, data, len, ts, tid);
}

static void tee_gap(void *ctx, struct conn_meta *c, int dir, uint64_t missing)
{
	struct pipeline *p = ctx;

	if (p->span_sink.on_gap)
		p->span_sink.on_gap(p->span_sink.ctx, c, dir, missing);
}

static void tee_close(void *ctx, struct conn_meta *c)
{
	struct pipeline *p = ctx;

	if (p->span_sink.on_close)
		p->span_sink.on_close(p->span_sink.ctx, c);
	if (p->summaries)
		print_summary(c);
}

int pipeline__new(const struct cli_opts *o, uint64_t mono_to_real_ns,
		  struct capture_writer *writer, struct pipeline **out)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	struct stream_sink sink = { 0 };
	int err;

	if (!p)
		return -ENOMEM;
	p->writer = writer;
	p->mono_to_real_ns = mono_to_real_ns;
	p->summaries = o->summaries;
	if (o->dump_dir) {
		p->dump = stream_dump__new(o->dump_dir);
		if (!p->dump) {
			err = -errno;
			warn("failed to create %s: %s", o->dump_dir, strerror(-err));
			goto cleanup;
		}
		sink = stream_dump__sink(p->dump);
	} else {
		err = span_path__new(o, mono_to_real_ns, &p->spans);
		if (err)
			goto cleanup;
		p->span_sink = span_path__sink(p->spans);
		sink = (struct stream_sink){ .ctx = p, .on_open = tee_open, .on_data = tee_data,
					     .on_gap = tee_gap, .on_close = tee_close };
	}
	p->conns = conn_table__new(NULL, &sink);
	if (!p->conns) {
		err = -ENOMEM;
		goto cleanup;
	}
	*out = p;
	return 0;
cleanup:
	if (p->dump)
		stream_dump__finish(p->dump);
	span_path__finish(p->spans, 0);
	free(p);
	return err;
}

void pipeline__handle(struct pipeline *p, const void *rec, size_t len)
{
	const struct ar_event_hdr *h = rec;

	p->records++;
	if (len < sizeof(*h)) {
		p->malformed++;
		return;
	}
	if (p->writer && capture_writer__write(p->writer, rec, len))
		p->write_errors++;
	switch (h->type) {
	case AR_EV_PROC_INFO:
		if (p->spans && len >= sizeof(struct ar_proc_info))
			span_path__proc_info(p->spans, rec);
		break;
	case AR_EV_PROC_RUNTIME:
		if (p->spans && len >= sizeof(struct ar_proc_runtime))
			span_path__proc_runtime(p->spans, rec);
		break;
	case AR_EV_INJECT:
		if (p->spans && len >= sizeof(struct ar_inject_event))
			span_path__inject(p->spans, rec);
		break;
	case AR_EV_DATA:
	case AR_EV_CONN_OPEN:
	case AR_EV_CONN_CLOSE:
		if (conn_table__handle(p->conns, rec, len))
			p->malformed++;
		break;
	default:
		break;
	}
}

void pipeline__set_inject(struct pipeline *p, struct inject *in)
{
	if (p->spans)
		span_path__set_inject(p->spans, in);
}

void pipeline__set_targets(struct pipeline *p, span_path_target_fn fn, void *ctx)
{
	if (p->spans)
		span_path__set_targets(p->spans, fn, ctx);
}

void pipeline__tick(struct pipeline *p, uint64_t now)
{
	conn_table__expire(p->conns, now);
	if (p->spans)
		span_path__tick(p->spans, now);
	if (p->writer)
		capture_writer__flush(p->writer);
}

void pipeline__observe_stats(struct pipeline *p, const char *stats)
{
	if (p->spans)
		span_path__observe_stats(p->spans, stats);
}

void pipeline__print_stats(const struct pipeline *p, FILE *f)
{
	struct conn_table_stats cs;

	conn_table__stats(p->conns, &cs);
	fprintf(f, "pipeline: records=%" PRIu64 " malformed=%" PRIu64 " capture_write_errors=%" PRIu64
		"\n", p->records, p->malformed, p->write_errors);
	fprintf(f, "conns: live=%" PRIu64 " opened=%" PRIu64 " closed=%" PRIu64 " evicted=%" PRIu64
		" expired=%" PRIu64 " gaps=%" PRIu64 " gap_bytes=%" PRIu64 " reordered=%" PRIu64
		" overlaps_trimmed=%" PRIu64 " malformed=%" PRIu64 " held_bytes=%" PRIu64
		" tls_streams=%" PRIu64 " tls_no_socket=%" PRIu64 "\n",
		cs.live, cs.opened, cs.closed, cs.evicted, cs.expired, cs.gaps, cs.gap_bytes,
		cs.reordered, cs.overlaps_trimmed, cs.malformed, cs.held_bytes, cs.tls_streams,
		cs.tls_no_socket);
	if (p->spans)
		span_path__print_stats(p->spans, f);
}

int pipeline__finish(struct pipeline *p, int deadline_ms)
{
	int err = 0;

	if (!p)
		return 0;
	/* Closing connections flushes their last exchanges into spans. */
	conn_table__free(p->conns);
	if (p->dump)
		err = stream_dump__finish(p->dump);
	if (p->spans) {
		int serr = span_path__finish(p->spans, deadline_ms);

		err = err ? err : serr;
	}
	free(p);
	return err;
}
