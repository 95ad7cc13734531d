// SPDX-License-Identifier: MIT
/* OpenAI chat calls over BoringSSL's own libssl (Debian's
 * android-libboringssl: libssl.so.0 over libcrypto.so.0), for
 * test_aead_exported.py: its SSL_read opens each record through the
 * libcrypto's EVP_AEAD_CTX_open, which agentrace also probes, and each
 * response must still be taken once. Waits for WAIT_FILE to exist before
 * connecting (the test creates it once both libraries are probed).
 * usage: bssl_chat PORT CALLS WAIT_FILE */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

static const char BODY[] = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":300,\"messages\":"
			   "[{\"role\":\"user\",\"content\":\"hello\"}]}";

/* Reads one Content-Length response; 0 on success. */
static int read_response(SSL *s, char *buf, int len)
{
	int got = 0, want = -1;

	while (want < 0 || got < want) {
		int r = SSL_read(s, buf + got, len - 1 - got);
		char *end, *cl;

		if (r <= 0)
			return -1;
		got += r;
		buf[got] = 0;
		end = strstr(buf, "\r\n\r\n");
		cl = strcasestr(buf, "content-length:");
		if (want < 0 && end && cl)
			want = (int)(end - buf) + 4 + atoi(cl + 15);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char req[1024], buf[1 << 16];
	SSL_CTX *ctx;
	SSL *s;
	int fd, calls;

	if (argc != 4)
		return 2;
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	calls = atoi(argv[2]);
	while (access(argv[3], F_OK))
		usleep(10000);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	ctx = SSL_CTX_new(TLS_method());
	s = SSL_new(ctx);
	SSL_set_fd(s, fd);
	SSL_set_tlsext_host_name(s, "api.openai.com");
	if (SSL_connect(s) != 1)
		return 1;
	for (int i = 0; i < calls; i++) {
		int n = snprintf(req, sizeof(req),
				 "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
				 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
				 sizeof(BODY) - 1, BODY);

		if (SSL_write(s, req, n) != n || read_response(s, buf, sizeof(buf)))
			return 1;
	}
	SSL_shutdown(s);
	SSL_free(s);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}
