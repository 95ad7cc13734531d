// SPDX-License-Identifier: MIT
/*
 * TLS 1.3 record ping-pong over BoringSSL's AEAD API, for the AEAD probe
 * kind's row in bench/lib/probe_cost.py (and its end-to-end test): the
 * calls rustls makes through aws-lc-rs, on Debian's android-libboringssl
 * (same EVP_AEAD_CTX API and calling convention as aws-lc).
 *
 *   aead_pingpong -l [-t TRUTH]      server on 127.0.0.1, prints its port,
 *                                    serves one connection at a time; with
 *                                    -t, appends one JSON line per chat
 *                                    response (id, tokens) to TRUTH
 *   aead_pingpong -p PORT [-n N] [-s SIZE] [-d MS]
 *                                    client: N round trips; SIZE 0 (the
 *                                    default) sends HTTP/1.1 chat requests
 *                                    and gets chat responses, else SIZE
 *                                    raw bytes are echoed; -d: wait MS
 *                                    ms before connecting (a cold start)
 *
 * The wire and the calls follow rustls's record layer (RFC 8446 5.2):
 * each record is sealed in place, content || inner type, with
 * EVP_AEAD_CTX_seal; nonce = iv ^ sequence number; associated data = the
 * record header 0x17 0x03 0x03 len. The reader deframes what one read(2)
 * returned and opens each record in place with EVP_AEAD_CTX_open. As in
 * rustls, the handshake keys are made with EVP_AEAD_CTX_init_with_direction
 * right after reading the ServerHello, the application keys right after
 * reading the server's Finished; the handshake records (inner type 0x16)
 * are sealed too. There is no key exchange: both sides use fixed keys, so
 * this measures the record layer only. The server seals and opens as
 * BoringSSL's own libssl does, with EVP_AEAD_CTX_seal_scatter and
 * EVP_AEAD_CTX_open_gather, which agentrace does not probe: the probes'
 * run counts are the client's calls only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/aead.h>

#define REC_MAX (16384 + 256)
#define CT_CCS 0x14
#define CT_HANDSHAKE 0x16
#define CT_APPDATA 0x17
#define TAG_LEN 16

struct dir_key {
	EVP_AEAD_CTX ctx;
	uint8_t iv[12];
	uint64_t seq;
};

struct conn {
	int fd;
	uint8_t in[4 * REC_MAX]; /* deframer: bytes read, not yet a whole record */
	size_t in_len;
};

static bool scatter; /* server: the gather/scatter calls */

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Fixed traffic secrets: phase 'h'/'a', sender 'c'/'s'. */
static void key_init(struct dir_key *k, char phase, char sender, enum evp_aead_direction_t dir)
{
	uint8_t key[32];

	memset(key, phase ^ sender, sizeof(key));
	memset(k->iv, phase + sender, sizeof(k->iv));
	k->seq = 0;
	if (!EVP_AEAD_CTX_init_with_direction(&k->ctx, EVP_aead_aes_256_gcm_tls13(), key,
					      sizeof(key), TAG_LEN, dir))
		die("EVP_AEAD_CTX_init_with_direction");
}

static void nonce(const struct dir_key *k, uint8_t out[12])
{
	memcpy(out, k->iv, 12);
	for (int i = 0; i < 8; i++)
		out[11 - i] ^= (uint8_t)(k->seq >> (8 * i));
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

/* Writes one record of type ct, unprotected. */
static void write_plain(struct conn *c, uint8_t ct, const uint8_t *p, size_t n)
{
	uint8_t rec[5 + REC_MAX] = { ct, 3, 3, (uint8_t)(n >> 8), (uint8_t)n };

	memcpy(rec + 5, p, n);
	write_all(c->fd, rec, 5 + n);
}

/* Seals content || type in place into one application_data record and
 * writes it, as rustls's record layer does. */
static void write_sealed(struct conn *c, struct dir_key *k, uint8_t type, const uint8_t *p,
			 size_t n)
{
	static uint8_t rec[5 + REC_MAX];
	size_t len = n + 1, out_len;
	uint8_t iv[12];

	rec[0] = CT_APPDATA;
	rec[1] = rec[2] = 3;
	rec[3] = (uint8_t)((len + TAG_LEN) >> 8);
	rec[4] = (uint8_t)(len + TAG_LEN);
	memcpy(rec + 5, p, n);
	rec[5 + n] = type;
	nonce(k, iv);
	if (scatter) {
		if (!EVP_AEAD_CTX_seal_scatter(&k->ctx, rec + 5, rec + 5 + len, &out_len, TAG_LEN,
					       iv, sizeof(iv), rec + 5, len, NULL, 0, rec, 5))
			die("EVP_AEAD_CTX_seal_scatter");
		out_len += len;
	} else if (!EVP_AEAD_CTX_seal(&k->ctx, rec + 5, &out_len, len + TAG_LEN, iv, sizeof(iv),
				      rec + 5, len, rec, 5)) {
		die("EVP_AEAD_CTX_seal");
	}
	k->seq++;
	write_all(c->fd, rec, 5 + out_len);
}

/* The next whole record in the deframer, reading the socket as needed
 * (one read may bring several records, or part of one). Returns its
 * length (header included); *hdr points at it until the next call. */
static size_t next_record(struct conn *c, uint8_t **hdr, size_t *consumed)
{
	memmove(c->in, c->in + *consumed, c->in_len - *consumed);
	c->in_len -= *consumed;
	*consumed = 0;
	for (;;) {
		size_t need = 5;
		ssize_t r;

		if (c->in_len >= 5)
			need += (size_t)c->in[3] << 8 | c->in[4];
		if (need > 5 + REC_MAX) {
			fprintf(stderr, "aead_pingpong: record too long\n");
			exit(1);
		}
		if (c->in_len >= need && need > 5) {
			*hdr = c->in;
			*consumed = need;
			return need;
		}
		r = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (r < 0)
			die("read");
		if (r == 0)
			return 0;
		c->in_len += (size_t)r;
	}
}

/* Reads and opens one protected record in place. Returns the content
 * length and its inner type in *type; 0 at EOF. */
static size_t read_sealed(struct conn *c, struct dir_key *k, uint8_t **content, uint8_t *type,
			  size_t *consumed)
{
	uint8_t *rec, iv[12];
	size_t len = next_record(c, &rec, consumed), out_len;

	if (!len)
		return 0;
	if (rec[0] != CT_APPDATA) {
		fprintf(stderr, "aead_pingpong: unexpected record type %u\n", rec[0]);
		exit(1);
	}
	nonce(k, iv);
	if (len < 5 + TAG_LEN + 1) {
		fprintf(stderr, "aead_pingpong: record too short\n");
		exit(1);
	}
	if (scatter) {
		out_len = len - 5 - TAG_LEN;
		if (!EVP_AEAD_CTX_open_gather(&k->ctx, rec + 5, iv, sizeof(iv), rec + 5, out_len,
					      rec + 5 + out_len, TAG_LEN, rec, 5))
			die("EVP_AEAD_CTX_open_gather");
	} else if (!EVP_AEAD_CTX_open(&k->ctx, rec + 5, &out_len, len - 5, iv, sizeof(iv),
				      rec + 5, len - 5, rec, 5)) {
		die("EVP_AEAD_CTX_open");
	}
	k->seq++;
	while (out_len && !rec[5 + out_len - 1])
		out_len--; /* padding */
	if (!out_len) {
		fprintf(stderr, "aead_pingpong: empty record\n");
		exit(1);
	}
	*type = rec[5 + out_len - 1];
	*content = rec + 5;
	return out_len - 1;
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	memset(p, v, n);
	p[0] = v == 1 ? 1 : 2; /* handshake message type: ClientHello, ServerHello */
}

static const char REQ_BODY[] =
	"{\"model\":\"gpt-4o-mini\",\"stream\":false,\"max_tokens\":256,\"messages\":["
	"{\"role\":\"system\",\"content\":\"You are a coding agent. Use the tools given to answer.\"},"
	"{\"role\":\"user\",\"content\":\"List the files in the current directory and say which "
	"one is the build script.\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
	"\"shell\",\"description\":\"Run a shell command\",\"parameters\":{\"type\":\"object\","
	"\"properties\":{\"cmd\":{\"type\":\"string\"}},\"required\":[\"cmd\"]}}}]}";

static size_t http_request(char *buf, size_t len)
{
	return (size_t)snprintf(buf, len,
				"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
				"User-Agent: aead_pingpong/1\r\nAccept: application/json\r\n"
				"Content-Type: application/json\r\nAuthorization: Bearer "
				"sk-bench-not-a-key\r\nContent-Length: %zu\r\n\r\n%s",
				sizeof(REQ_BODY) - 1, REQ_BODY);
}

static FILE *truth;

/* The i-th chat response of a connection; ids and token counts differ per
 * response, for the end-to-end test to match spans to. */
static size_t http_response(char *buf, size_t len, unsigned long i)
{
	char body[1024];
	int n = snprintf(body, sizeof(body),
			 "{\"id\":\"chatcmpl-aead-%lu\",\"object\":\"chat.completion\","
			 "\"created\":1764806400,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":["
			 "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"The build "
			 "script is the Makefile; run make to build and make test to test.\"},"
			 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%lu,"
			 "\"completion_tokens\":%lu,\"total_tokens\":%lu},"
			 "\"system_fingerprint\":\"fp_aead_bench\"}",
			 i, 61 + i, 17 + i, 78 + 2 * i);

	if (truth) {
		fprintf(truth, "{\"id\":\"chatcmpl-aead-%lu\",\"input_tokens\":%lu,"
			"\"output_tokens\":%lu}\n", i, 61 + i, 17 + i);
		fflush(truth);
	}

	return (size_t)snprintf(buf, len,
				"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"x-request-id: req-aead-%lu\r\nContent-Length: %d\r\n\r\n%s",
				i, n, body);
}

static void serve(struct conn *c)
{
	struct dir_key hs_in, hs_out, app_in, app_out;
	static uint8_t buf[REC_MAX];
	size_t consumed = 0, n;
	unsigned long i = 0;
	uint8_t *rec, type;

	if (!next_record(c, &rec, &consumed) || rec[0] != CT_HANDSHAKE)
		return; /* ClientHello */
	key_init(&hs_in, 'h', 'c', evp_aead_open);
	key_init(&hs_out, 'h', 's', evp_aead_seal);
	fill(buf, 90, 2);
	write_plain(c, CT_HANDSHAKE, buf, 90); /* ServerHello */
	write_plain(c, CT_CCS, (const uint8_t *)"\1", 1);
	fill(buf, 2400, 8); /* EncryptedExtensions .. Finished */
	write_sealed(c, &hs_out, CT_HANDSHAKE, buf, 2400);
	key_init(&app_out, 'a', 's', evp_aead_seal);
	if (!read_sealed(c, &hs_in, &rec, &type, &consumed) || type != CT_HANDSHAKE)
		return; /* client Finished */
	key_init(&app_in, 'a', 'c', evp_aead_open);
	while ((n = read_sealed(c, &app_in, &rec, &type, &consumed))) {
		if (type != CT_APPDATA)
			continue;
		if (n > 5 && !memcmp(rec, "POST ", 5))
			write_sealed(c, &app_out, CT_APPDATA, buf,
				     http_response((char *)buf, sizeof(buf), i++));
		else
			write_sealed(c, &app_out, CT_APPDATA, rec, n);
	}
	EVP_AEAD_CTX_cleanup(&hs_in.ctx);
	EVP_AEAD_CTX_cleanup(&hs_out.ctx);
	EVP_AEAD_CTX_cleanup(&app_in.ctx);
	EVP_AEAD_CTX_cleanup(&app_out.ctx);
}

static void client(struct conn *c, unsigned long n_trips, size_t size)
{
	struct dir_key hs_in, hs_out, app_in, app_out;
	static uint8_t msg[REC_MAX];
	size_t consumed = 0, len, got;
	uint8_t *rec, type;

	fill(msg, 250, 1);
	write_plain(c, CT_HANDSHAKE, msg, 250); /* ClientHello */
	if (!next_record(c, &rec, &consumed) || rec[0] != CT_HANDSHAKE)
		goto eof; /* ServerHello: the handshake keys are made now */
	key_init(&hs_in, 'h', 's', evp_aead_open);
	key_init(&hs_out, 'h', 'c', evp_aead_seal);
	if (!next_record(c, &rec, &consumed) || rec[0] != CT_CCS)
		goto eof;
	if (!read_sealed(c, &hs_in, &rec, &type, &consumed) || type != CT_HANDSHAKE)
		goto eof; /* ... server Finished: the application keys now */
	key_init(&app_in, 'a', 's', evp_aead_open);
	key_init(&app_out, 'a', 'c', evp_aead_seal);
	fill(msg, 36, 20);
	write_sealed(c, &hs_out, CT_HANDSHAKE, msg, 36); /* client Finished */
	len = size ? size : http_request((char *)msg, sizeof(msg));
	if (size)
		memset(msg, 'x', size);
	for (unsigned long i = 0; i < n_trips; i++) {
		write_sealed(c, &app_out, CT_APPDATA, msg, len);
		got = read_sealed(c, &app_in, &rec, &type, &consumed);
		if (!got)
			goto eof;
		if (type != CT_APPDATA || (size && got != size)) {
			fprintf(stderr, "aead_pingpong: bad reply to round trip %lu\n", i);
			exit(1);
		}
	}
	EVP_AEAD_CTX_cleanup(&hs_in.ctx);
	EVP_AEAD_CTX_cleanup(&hs_out.ctx);
	EVP_AEAD_CTX_cleanup(&app_in.ctx);
	EVP_AEAD_CTX_cleanup(&app_out.ctx);
	return;
eof:
	fprintf(stderr, "aead_pingpong: server closed early\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static struct conn c;
	unsigned long n = 1000, delay_ms = 0;
	size_t size = 0;
	bool listen_mode = false;
	int port = 0, opt, one = 1;
	socklen_t alen = sizeof(a);

	while ((opt = getopt(argc, argv, "lp:n:s:t:d:")) != -1) {
		switch (opt) {
		case 'l': listen_mode = scatter = true; break;
		case 'p': port = atoi(optarg); break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'd': delay_ms = strtoul(optarg, NULL, 10); break;
		case 't':
			truth = fopen(optarg, "a");
			if (!truth)
				die(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s -l [-t TRUTH] | -p PORT [-n N] [-s SIZE] [-d MS]\n",
				argv[0]);
			return 2;
		}
	}
	if (size > REC_MAX - 256 || (!listen_mode && (port <= 0 || port > 65535))) {
		fprintf(stderr, "aead_pingpong: bad -p or -s\n");
		return 2;
	}
	if (listen_mode) {
		int l = socket(AF_INET, SOCK_STREAM, 0);

		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 8) ||
		    getsockname(l, (struct sockaddr *)&a, &alen))
			die("listen");
		printf("%d\n", ntohs(a.sin_port));
		fflush(stdout);
		for (;;) {
			c.fd = accept(l, NULL, NULL);
			if (c.fd < 0)
				die("accept");
			setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c.in_len = 0;
			serve(&c);
			close(c.fd);
		}
	}
	a.sin_port = htons((uint16_t)port);
	usleep(delay_ms * 1000);
	c.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	client(&c, n, size);
	close(c.fd);
	return 0;
}
