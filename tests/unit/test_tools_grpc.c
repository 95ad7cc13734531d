// SPDX-License-Identifier: MIT
/* gRPC over HTTP/2 becomes an RPC span: rpc.system, rpc.service,
 * rpc.method, rpc.grpc.status_code, error.type for a non-zero status or a
 * missing one. */
#include <criterion/criterion.h>
#include <string.h>

#include "conn/stream.h"
#include "tools/tools.h"
#include "trace/span.h"

struct gx {
	struct conn_meta conn;
	struct header_view rq_h[1], rs_h[2];
	struct http_exchange x;
};

static void gx_init(struct gx *g, const char *status)
{
	memset(g, 0, sizeof(*g));
	g->conn.conn_id = 5;
	g->conn.tgid = 77;
	g->conn.is_tls = true;
	g->x.conn = &g->conn;
	g->x.method = "POST";
	g->x.target = "/google.cloud.aiplatform.v1.PredictionService/GenerateContent";
	g->x.host = "aiplatform.googleapis.com";
	g->x.req.body = (const uint8_t *)"\0\0\0\0\0";
	g->x.req.body_len = 5;
	g->x.req.content_type = "application/grpc";
	g->x.resp.body = (const uint8_t *)"";
	g->x.resp.content_type = "application/grpc";
	g->rs_h[0] = (struct header_view){ "content-type", 12, "application/grpc", 16 };
	g->x.resp.headers = g->rs_h;
	g->x.resp.n_headers = 1;
	if (status) {
		g->rs_h[1] = (struct header_view){ "grpc-status", 11, status, strlen(status) };
		g->x.resp.n_headers = 2;
	}
	g->x.status = 200;
	g->x.resp_complete = true;
}

static const char *str(const struct span *s, const char *k)
{
	const struct attr *a = span__get(s, k);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

Test(tools_grpc, rpc_span_from_path_and_trailer)
{
	struct tools *t = tools__new(NULL);
	struct gx g;
	struct span *s;
	const struct attr *a;

	gx_init(&g, "0");
	s = tools__span_from_exchange(t, &g.x, 0);
	cr_assert_not_null(s);
	cr_assert_str_eq(s->name, "google.cloud.aiplatform.v1.PredictionService/GenerateContent");
	cr_assert_str_eq(str(s, "rpc.system"), "grpc");
	cr_assert_str_eq(str(s, "rpc.service"), "google.cloud.aiplatform.v1.PredictionService");
	cr_assert_str_eq(str(s, "rpc.method"), "GenerateContent");
	a = span__get(s, "rpc.grpc.status_code");
	cr_assert(a && a->type == ATTR_INT && a->i == 0);
	cr_assert_null(span__get(s, "error.type"));
	span__free(s);
	tools__free(t);
}

Test(tools_grpc, nonzero_or_missing_status_is_an_error)
{
	struct tools *t = tools__new(NULL);
	struct gx g;
	struct span *s;

	gx_init(&g, "14");
	s = tools__span_from_exchange(t, &g.x, 0);
	cr_assert_str_eq(str(s, "error.type"), "14");
	span__free(s);
	gx_init(&g, NULL);
	g.x.resp_complete = false;
	s = tools__span_from_exchange(t, &g.x, 0);
	cr_assert_str_eq(str(s, "error.type"), "no_grpc_status");
	cr_assert_null(span__get(s, "rpc.grpc.status_code"));
	span__free(s);
	tools__free(t);
}
