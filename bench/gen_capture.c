// SPDX-License-Identifier: MIT
/*
 * Writes a capture file of N OpenAI chat completion calls for the
 * daemon-cost benchmark, as the kernel side would have recorded them: per
 * call one plaintext TCP connection (AR_EV_CONN_OPEN), the request as one
 * egress AR_EV_DATA record, the response as ingress records with exact
 * stream offsets (one per read: the whole JSON response, or the headers
 * and then one record per SSE chunk), and AR_EV_CONN_CLOSE with the
 * stream lengths.
 *
 *   gen_capture -o FILE -n CALLS [--stream] [--chunks N]
 *
 * N = 0 writes a file with only the process record: the fixed cost of
 * starting, reading and shutting down, which the benchmark subtracts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <agentrace/events.h>

#include "capture/file.h"
#include "common/log.h"

#define TGID 4242
#define TID 4243
#define BASE_TS 1000000000000ull /* monotonic ns of the first call */

struct gen {
	struct capture_writer *w;
	uint8_t rec[sizeof(struct ar_data_event) + AR_CHUNK_MAX];
	uint64_t seq[2];
	uint64_t conn_id;
	uint64_t ts;
	int fd;
};

static const char REQ_BODY_FMT[] =
	"{\"model\":\"gpt-4o-mini\",\"messages\":["
	"{\"role\":\"system\",\"content\":\"You are a careful assistant for an on-call "
	"engineer. Answer in at most three sentences, cite the runbook section when "
	"you use one, and say so when you are unsure.\"},"
	"{\"role\":\"user\",\"content\":\"The payments-api pods restart every few minutes "
	"with exit code 137 since the 14:05 deploy. Memory limit is 512Mi. What should "
	"I check first? (call %d)\"}],"
	"\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_pod_metrics\","
	"\"description\":\"Memory and CPU of a pod over the last hour\",\"parameters\":"
	"{\"type\":\"object\",\"properties\":{\"pod\":{\"type\":\"string\"},\"window\":"
	"{\"type\":\"string\",\"enum\":[\"15m\",\"1h\",\"6h\"]}},\"required\":[\"pod\"]}}}],"
	"\"temperature\":0.2,\"max_tokens\":400%s}";

static const char REQ_HEAD_FMT[] =
	"POST /v1/chat/completions HTTP/1.1\r\n"
	"Host: llm-gateway.internal:8080\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Connection: keep-alive\r\n"
	"Accept: application/json\r\n"
	"Content-Type: application/json\r\n"
	"User-Agent: OpenAI/Python 1.54.4\r\n"
	"X-Stainless-Lang: python\r\n"
	"X-Stainless-Package-Version: 1.54.4\r\n"
	"X-Stainless-Runtime: CPython\r\n"
	"X-Stainless-Runtime-Version: 3.11.2\r\n"
	"Authorization: Bearer sk-proj-bench0000000000000000000000000000\r\n"
	"x-stainless-retry-count: 0\r\n"
	"Content-Length: %zu\r\n\r\n";

static const char RESP_BODY_FMT[] =
	"{\"id\":\"chatcmpl-bench%08d\",\"object\":\"chat.completion\",\"created\":1741569952,"
	"\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
	"\"assistant\",\"content\":\"Exit code 137 is an OOM kill: compare the pods' working "
	"set with the 512Mi limit over the last hour (runbook 4.2), then diff the 14:05 "
	"deploy for new caches or a larger heap setting.\",\"refusal\":null,\"annotations\":[]},"
	"\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":212,"
	"\"completion_tokens\":48,\"total_tokens\":260,\"prompt_tokens_details\":"
	"{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":"
	"{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
	"\"rejected_prediction_tokens\":0}},\"service_tier\":\"default\","
	"\"system_fingerprint\":\"fp_f9f4fb6dbf\"}";

static const char RESP_HEAD_FMT[] =
	"HTTP/1.1 200 OK\r\n"
	"Date: Mon, 10 Mar 2025 01:25:52 GMT\r\n"
	"Content-Type: %s\r\n"
	"%s"
	"Connection: keep-alive\r\n"
	"openai-organization: user-h3fz0rtl7qxbqv2kfm3l\r\n"
	"openai-processing-ms: 412\r\n"
	"openai-version: 2020-10-01\r\n"
	"x-ratelimit-limit-requests: 10000\r\n"
	"x-ratelimit-remaining-requests: 9999\r\n"
	"x-request-id: req_%08d\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Server: uvicorn\r\n\r\n";

static const char CHUNK_FMT[] =
	"data: {\"id\":\"chatcmpl-bench%08d\",\"object\":\"chat.completion.chunk\","
	"\"created\":1741569952,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":"
	"\"default\",\"system_fingerprint\":\"fp_f9f4fb6dbf\",\"choices\":[{\"index\":0,"
	"\"delta\":{%s},\"logprobs\":null,\"finish_reason\":%s}],\"usage\":null}\n\n";

static const char USAGE_CHUNK_FMT[] =
	"data: {\"id\":\"chatcmpl-bench%08d\",\"object\":\"chat.completion.chunk\","
	"\"created\":1741569952,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],"
	"\"usage\":{\"prompt_tokens\":212,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\n";

static void fill_hdr(struct ar_event_hdr *h, int type, const struct gen *g)
{
	h->type = type;
	h->tgid = TGID;
	h->tid = TID;
	h->ts_ns = g->ts;
	h->conn_id = g->conn_id;
}

/* Returns 0 or the writer's negative errno. */
static int put_conn(struct gen *g, int type)
{
	struct ar_conn_event e;

	memset(&e, 0, sizeof(e));
	fill_hdr(&e.hdr, type, g);
	e.tuple.family = AF_INET;
	inet_pton(AF_INET, "10.0.3.17", e.tuple.saddr);
	inet_pton(AF_INET, "10.0.9.40", e.tuple.daddr);
	e.tuple.sport = 40000 + g->conn_id % 20000;
	e.tuple.dport = 8080;
	e.fd = g->fd;
	e.role = AR_ROLE_CLIENT;
	if (type == AR_EV_CONN_CLOSE) {
		e.bytes[0] = g->seq[0];
		e.bytes[1] = g->seq[1];
	}
	snprintf(e.comm, sizeof(e.comm), "python3");
	return capture_writer__write(g->w, &e, sizeof(e));
}

/* One read or write: AR_CHUNK_MAX-sized records with running offsets. */
static int put_data(struct gen *g, int dir, const char *data, size_t len)
{
	struct ar_data_event *d = (struct ar_data_event *)g->rec;
	int err;

	while (len) {
		size_t n = len < AR_CHUNK_MAX ? len : AR_CHUNK_MAX;

		memset(d, 0, sizeof(*d));
		fill_hdr(&d->hdr, AR_EV_DATA, g);
		d->seq = g->seq[dir];
		d->fd = g->fd;
		d->len = n;
		d->dir = dir;
		d->source = AR_SRC_SOCKET;
		snprintf(d->comm, sizeof(d->comm), "python3");
		memcpy(d->data, data, n);
		err = capture_writer__write(g->w, d, sizeof(*d) + n);
		if (err)
			return err;
		g->seq[dir] += n;
		data += n;
		len -= n;
	}
	return 0;
}

static int put_chunked(struct gen *g, const char *payload, size_t len, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%zx\r\n%.*s\r\n", len, (int)len, payload);

	return put_data(g, AR_DIR_INGRESS, buf, n);
}

static int one_call(struct gen *g, int i, bool stream, int chunks)
{
	static const char *const words[] = { "Exit", " code", " 137", " is", " an", " OOM",
					     " kill", ":", " compare", " the", " working",
					     " set", " with", " the", " limit", "." };
	char body[4096], head[8192], ev[1024], wire[1200], delta[128];
	int blen, hlen, k, err;

	g->conn_id++;
	g->fd = 10 + i % 1000;
	g->seq[0] = g->seq[1] = 0;
	err = put_conn(g, AR_EV_CONN_OPEN);
	blen = snprintf(body, sizeof(body), REQ_BODY_FMT, i,
			stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "");
	hlen = snprintf(head, sizeof(head), REQ_HEAD_FMT, (size_t)blen);
	g->ts += 1000;
	/* one write: most clients send head and body together */
	memcpy(head + hlen, body, blen + 1);
	err = err ?: put_data(g, AR_DIR_EGRESS, head, hlen + blen);
	g->ts += 300000;
	if (!stream) {
		blen = snprintf(body, sizeof(body), RESP_BODY_FMT, i);
		snprintf(delta, sizeof(delta), "Content-Length: %d\r\n", blen);
		hlen = snprintf(head, sizeof(head), RESP_HEAD_FMT, "application/json", delta, i);
		memcpy(head + hlen, body, blen + 1);
		err = err ?: put_data(g, AR_DIR_INGRESS, head, hlen + blen);
	} else {
		hlen = snprintf(head, sizeof(head), RESP_HEAD_FMT, "text/event-stream; charset=utf-8",
				"Transfer-Encoding: chunked\r\n", i);
		err = err ?: put_data(g, AR_DIR_INGRESS, head, hlen);
		for (k = 0; k < chunks && !err; k++) {
			int n;

			g->ts += 20000;
			if (k == 0)
				snprintf(delta, sizeof(delta), "\"role\":\"assistant\",\"content\":\"\"");
			else if (k < chunks - 1)
				snprintf(delta, sizeof(delta), "\"content\":\"%s\"", words[k % 16]);
			else
				delta[0] = '\0';
			n = snprintf(ev, sizeof(ev), CHUNK_FMT, i, delta,
				     k == chunks - 1 ? "\"stop\"" : "null");
			err = put_chunked(g, ev, n, wire, sizeof(wire));
		}
		g->ts += 20000;
		k = snprintf(ev, sizeof(ev), USAGE_CHUNK_FMT, i, chunks, 212 + chunks);
		err = err ?: put_chunked(g, ev, k, wire, sizeof(wire));
		k = snprintf(ev, sizeof(ev), "data: [DONE]\n\n");
		k = snprintf(wire, sizeof(wire), "%x\r\n%s\r\n0\r\n\r\n", k, ev);
		err = err ?: put_data(g, AR_DIR_INGRESS, wire, k);
	}
	g->ts += 1000;
	err = err ?: put_conn(g, AR_EV_CONN_CLOSE);
	g->ts += 100000;
	return err;
}

static int put_proc_info(struct gen *g)
{
	struct ar_proc_info p;

	memset(&p, 0, sizeof(p));
	fill_hdr(&p.hdr, AR_EV_PROC_INFO, g);
	p.hdr.conn_id = 0;
	snprintf(p.comm, sizeof(p.comm), "python3");
	snprintf(p.exe_path, sizeof(p.exe_path), "/usr/bin/python3.11");
	snprintf(p.service_name, sizeof(p.service_name), "oncall-agent");
	return capture_writer__write(g->w, &p, sizeof(p));
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_capture -o FILE -n CALLS [--stream] [--chunks N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "stream", no_argument, NULL, 's' },
					      { "chunks", required_argument, NULL, 'c' },
					      { NULL, 0, NULL, 0 } };
	struct capture_info ci = { .mono_to_real_ns = 1741560000000000000ull,
				   .start_unix_ns = 1741560000000000000ull + BASE_TS,
				   .chunk_max = AR_CHUNK_MAX };
	struct gen *g = calloc(1, sizeof(*g));
	const char *out = NULL;
	long calls = -1, chunks = 100;
	bool stream = false;
	int err, c, i;

	while ((c = getopt_long(argc, argv, "o:n:", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'n')
			calls = strtol(optarg, NULL, 10);
		else if (c == 's')
			stream = true;
		else if (c == 'c')
			chunks = strtol(optarg, NULL, 10);
		else
			usage();
	}
	if (!out || calls < 0 || calls > 10000000 || chunks < 2 || chunks > 100000 || !g)
		usage();
	snprintf(ci.hostname, sizeof(ci.hostname), "bench");
	snprintf(ci.agentrace_version, sizeof(ci.agentrace_version), "bench-gen");
	g->ts = BASE_TS;
	err = capture_writer__open(out, &ci, &g->w);
	if (err) {
		warn("cannot create %s: %s", out, strerror(-err));
		return 1;
	}
	err = put_proc_info(g);
	for (i = 0; i < calls && !err; i++)
		err = one_call(g, i, stream, chunks);
	c = capture_writer__close(g->w);
	err = err ?: c;
	free(g);
	if (err) {
		warn("writing %s: %s", out, strerror(-err));
		return 1;
	}
	return 0;
}
