// SPDX-License-Identifier: MIT
/* Behaviour on the first calls (discover/first_calls.h): a stream start
 * through located functions must look like plaintext (HTTP/1 request or
 * status line, HTTP/2 preface or SETTINGS), and a file whose first stream
 * starts do not is detached and reported, never trusted. Attaching is a
 * stand-in; the plan says "stripped OpenSSL located by evidence". */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentrace/events.h"
#include "common/log.h"
#include "discover/first_calls.h"
#include "discover/tls_files.h"
#include "discover/tls_lib.h"
#include "tls_attach_fake.h"

static const uint8_t h2_settings[] = { 0, 0, 18, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100,
				       0, 4, 0, 1, 0, 0, 0, 5, 0, 0x40, 0 };
/* what a wrong function might hand over: a struct of pointers */
static const uint8_t junk[] = { 0x10, 0x7c, 0x3a, 0x55, 0x8c, 0x7f, 0, 0, 0x01, 0, 0, 0,
				0, 0, 0, 0, 0xa0, 0x11, 0x40, 0x55, 0x8c, 0x7f, 0, 0 };

static int plausible(const char *s)
{
	return first_calls__plausible((const uint8_t *)s, strlen(s));
}

Test(first_calls, plaintext_starts_are_plausible)
{
	cr_assert_eq(plausible("POST /v1/responses HTTP/1.1\r\nHost: api.openai.com\r\n"), 1);
	cr_assert_eq(plausible("GET /v1/models HTTP/1.1\r\n"), 1);
	cr_assert_eq(plausible("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"), 1);
	cr_assert_eq(plausible("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 1);
	cr_assert_eq(first_calls__plausible(h2_settings, sizeof(h2_settings)), 1);
}

Test(first_calls, other_bytes_are_not)
{
	cr_assert_eq(first_calls__plausible(junk, sizeof(junk)), 0);
	cr_assert_eq(plausible("post /lowercase HTTP/1.1\r\n"), 0);
	cr_assert_eq(first_calls__plausible((const uint8_t *)"\x17\x03\x03\x00\x45 ciphertext", 16),
		     0, "a TLS record: ciphertext, not plaintext");
	cr_assert_eq(plausible("data: {\"x\":1}\n\n"), 0); /* mid-stream SSE */
	cr_assert_eq(plausible("POST"), -1, "too short to say");
}


static int stripped_plan(const char *path, struct tls_plan *plan)
{
	(void)path;
	memset(plan, 0, sizeof(*plan));
	plan->lib = TLS_LIB_OPENSSL_STATIC;
	plan->detected = 1u << TLS_LIB_OPENSSL_STATIC;
	tls_plan__add(plan, TLS_PROG_SSL_WRITE_EX, 0x100);
	return plan->n;
}

static const struct tls_files_ops ops = {
	.plan = stripped_plan, .attach = fake_attach, .detach = fake_detach,
};

static char bin[64];

static struct tls_files *setup_table(bool scoped)
{
	struct tls_files *t = tls_files__new_ops(NULL, scoped, &ops);
	int fd;

	log__set_level(LOG_ERROR);
	snprintf(bin, sizeof(bin), "/tmp/ar-first-calls-XXXXXX");
	fd = mkstemp(bin);
	cr_assert_geq(fd, 0);
	close(fd);
	live = 0;
	cr_assert_eq(tls_files__add(t, getpid(), bin), 1);
	cr_assert_eq(live, 1);
	return t;
}

static void feed(struct tls_files *t, uint64_t seq, const void *p, size_t n)
{
	uint8_t rec[sizeof(struct ar_data_event) + 256] = { 0 };
	struct ar_data_event *ev = (struct ar_data_event *)rec;

	ev->hdr.type = AR_EV_DATA;
	ev->hdr.tgid = getpid();
	ev->source = AR_SRC_TLS;
	ev->seq = seq;
	ev->len = n;
	memcpy(ev->data, p, n);
	tls_files__first_call(t, rec, sizeof(*ev) + n);
}

static void wrong_function_is_detached(bool scoped)
{
	struct tls_files *t = setup_table(scoped);
	struct tls_files_stats s;

	for (int i = 0; i < FIRST_CALLS_STRIKES - 1; i++)
		feed(t, 0, junk, sizeof(junk));
	feed(t, 4096, junk, sizeof(junk)); /* not a stream start: not judged */
	cr_assert_eq(live, 1, "judged only at stream starts, after enough of them");
	feed(t, 0, junk, sizeof(junk));
	cr_assert_eq(live, 0, "detached");
	tls_files__stats(t, &s);
	cr_assert_eq(s.refused, 1);
	cr_assert_eq(tls_files__add(t, getpid() + 1, bin), 0, "never probed again");
	cr_assert_eq(live, 0);
	tls_files__free(t);
	unlink(bin);
}

Test(first_calls, a_wrong_location_is_detached)
{
	wrong_function_is_detached(false);
}

Test(first_calls, a_wrong_location_is_detached_scoped)
{
	wrong_function_is_detached(true);
}

Test(first_calls, plaintext_makes_it_trusted)
{
	struct tls_files *t = setup_table(false);
	static const char req[] = "POST /v1/messages HTTP/1.1\r\n";

	feed(t, 0, junk, sizeof(junk)); /* a stream opened before the probes */
	feed(t, 0, req, sizeof(req) - 1);
	for (int i = 0; i < 2 * FIRST_CALLS_STRIKES; i++)
		feed(t, 0, junk, sizeof(junk));
	cr_assert_eq(live, 1, "trusted: later streams are not judged");
	tls_files__free(t);
	cr_assert_eq(live, 0);
	unlink(bin);
}

/* A launcher (node's codex.js) forks and its child execs the stripped
 * agent: the child's pid used the launcher's file before exec. Once exec
 * drops the old image's files, the agent's first calls are judged. */
Test(first_calls, judged_after_exec_from_a_launcher)
{
	struct tls_files *t = setup_table(false);
	char launcher[64] = "/tmp/ar-first-calls-launcher-XXXXXX";
	int fd = mkstemp(launcher);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(tls_files__add(t, getpid(), launcher), 1);
	cr_assert_eq(live, 2);
	for (int i = 0; i < FIRST_CALLS_STRIKES; i++)
		feed(t, 0, junk, sizeof(junk));
	cr_assert_eq(live, 2, "a pid using two probed files is not judged");
	tls_files__proc_exec(t, getpid(), 1);
	cr_assert_eq(tls_files__add(t, getpid(), bin), 0);
	for (int i = 0; i < FIRST_CALLS_STRIKES; i++)
		feed(t, 0, junk, sizeof(junk));
	cr_assert_eq(live, 1, "after exec only the agent's file is its: judged, detached");
	tls_files__free(t);
	unlink(bin);
	unlink(launcher);
}
