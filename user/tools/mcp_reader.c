// SPDX-License-Identifier: MIT
/* Reading an MCP answer: one JSON body, or an event stream of JSON-RPC
 * messages, in whatever pieces it arrives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sse.h"
#include "tools/mcp.h"

#define MCP_READER_MAX_BODY (64u << 20) /* JSON bodies buffered by feed() */

struct mcp_reader {
	json_t *ids;        /* request ids: a set keyed by mcp__id_key() */
	json_t *pid;        /* primary id, referenced; NULL if none */
	struct sse *sse;
	char *buf;          /* JSON mode: the body so far */
	size_t n, cap;
	bool over;          /* JSON body over MCP_READER_MAX_BODY */
	json_t *kept;       /* the responses a.resp / a.error point into */
	struct mcp_answer a;
};

/* A hash lookup, so that a batch answer of n messages costs O(n), not
 * O(n * ids) (a 4 MiB batch holds ~100k ids). */
static bool id_is_ours(const struct mcp_reader *rd, const json_t *id)
{
	char key[MCP_ID_KEY_MAX];

	return mcp__id_key(id, key, sizeof(key)) && json_object_get(rd->ids, key);
}

/* Builds the id set; ids that cannot be keyed (objects, over-long
 * strings) never match, as JSON-RPC allows only strings and numbers. */
static json_t *id_set(const json_t *ids)
{
	json_t *set = json_object(), *v;
	char key[MCP_ID_KEY_MAX];
	size_t i;

	if (!set || !ids)
		return set;
	json_array_foreach(ids, i, v)
		if (mcp__id_key(v, key, sizeof(key)) && json_object_set(set, key, json_true())) {
			json_decref(set);
			return NULL;
		}
	return set;
}

/* Takes m (a new reference): a message or a batch of them. Requests and
 * notifications from the server are counted and dropped. Returns 0 or
 * -ENOMEM. */
static int take_message(struct mcp_reader *rd, json_t *m)
{
	struct mcp_answer *a = &rd->a;
	json_t *id, *e;
	bool ours, err;
	size_t i;

	if (json_is_array(m)) {
		int ret = 0;

		json_array_foreach(m, i, e)
			if (!ret)
				ret = take_message(rd, json_incref(e));
		json_decref(m);
		return ret;
	}
	if (!json_is_object(m)) {
		a->json_errors++;
		json_decref(m);
		return 0;
	}
	a->messages++;
	err = json_object_get(m, "error") != NULL;
	if (json_object_get(m, "method") || (!err && !json_object_get(m, "result"))) {
		json_decref(m);
		return 0;
	}
	if (json_array_append_new(rd->kept, m))
		return -ENOMEM;
	id = json_object_get(m, "id");
	ours = id && !json_is_null(id) && id_is_ours(rd, id);
	a->answered += ours;
	/* with no id known (request body lost), the first response is ours */
	if (!a->resp && (rd->pid ? id && json_equal(id, rd->pid) : true))
		a->resp = m;
	if (err && !a->error && (ours || !id || json_is_null(id) || !rd->pid))
		a->error = m;
	return 0;
}

static int take_text(struct mcp_reader *rd, const char *d, size_t n)
{
	json_t *m;
	size_t i;

	for (i = 0; i < n && strchr(" \t\r\n", d[i]); i++)
		;
	if (i == n)
		return 0; /* empty body, or an SSE priming event */
	m = json_loadb(d, n, 0, NULL);
	if (!m) {
		rd->a.json_errors++;
		return 0;
	}
	return take_message(rd, m);
}

static int on_event(void *ctx, const struct sse_event *ev)
{
	return take_text(ctx, ev->data, ev->data_len);
}

struct mcp_reader *mcp_reader__new(const json_t *ids, const json_t *primary_id, bool sse)
{
	struct mcp_reader *rd = calloc(1, sizeof(*rd));

	if (!rd)
		return NULL;
	rd->ids = id_set(ids);
	rd->pid = primary_id ? json_incref((json_t *)primary_id) : NULL;
	rd->kept = json_array();
	rd->a.sse = sse;
	if (sse)
		rd->sse = sse__new(0, 0, on_event, rd);
	if (!rd->ids || !rd->kept || (sse && !rd->sse)) {
		mcp_reader__free(rd);
		return NULL;
	}
	return rd;
}

void mcp_reader__free(struct mcp_reader *rd)
{
	if (!rd)
		return;
	sse__free(rd->sse);
	json_decref(rd->ids);
	json_decref(rd->pid);
	json_decref(rd->kept);
	free(rd->buf);
	free(rd);
}

int mcp_reader__feed(struct mcp_reader *rd, const char *buf, size_t n)
{
	if (rd->sse)
		return sse__feed(rd->sse, buf, n);
	if (rd->over)
		return 0;
	if (rd->n + n > MCP_READER_MAX_BODY) {
		rd->over = true;
		rd->a.json_errors++;
		return 0;
	}
	if (rd->n + n > rd->cap) {
		size_t nc = (rd->n + n) * 2;
		char *nb = realloc(rd->buf, nc);

		if (!nb)
			return -ENOMEM;
		rd->buf = nb;
		rd->cap = nc;
	}
	memcpy(rd->buf + rd->n, buf, n);
	rd->n += n;
	return 0;
}

static void sse_done(struct mcp_reader *rd)
{
	struct sse_stats st;

	sse__finish(rd->sse);
	sse__stats(rd->sse, &st);
	rd->a.sse_errors = st.dropped_lines + st.dropped_events + st.unterminated;
}

void mcp_reader__finish(struct mcp_reader *rd)
{
	if (rd->sse)
		sse_done(rd);
	else if (!rd->over && rd->n)
		take_text(rd, rd->buf, rd->n);
}

int mcp_reader__whole(struct mcp_reader *rd, const char *buf, size_t n)
{
	int err = 0;

	if (rd->sse) {
		err = sse__feed(rd->sse, buf, n);
		sse_done(rd);
		return err;
	}
	return n ? take_text(rd, buf, n) : 0;
}

const struct mcp_answer *mcp_reader__answer(const struct mcp_reader *rd)
{
	return &rd->a;
}

bool mcp__answer_is_sse(const struct http_exchange *x)
{
	const struct http_message *m = &x->resp;
	const char *ct = m->content_type ? m->content_type : "";

	if (strcmp(ct, "text/event-stream") == 0)
		return true;
	/* servers that omit the media type */
	return !ct[0] && m->body_len >= 5 &&
	       (memcmp(m->body, "data:", 5) == 0 || memcmp(m->body, "event:", 5) == 0 ||
		memcmp(m->body, "id:", 3) == 0);
}
