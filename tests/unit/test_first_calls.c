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


static int stripped_plan(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
			 void *ctx)
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

/* The header the kernel gives this process's TLS records. */
static struct ar_event_hdr tls_hdr(uint16_t type)
{
	return (struct ar_event_hdr){ .type = type, .flags = AR_F_TLS, .tgid = getpid() };
}

/* A TLS data record of this process, as emit_tls_plain makes it. */
static size_t data_rec(uint8_t *rec, uint64_t ssl, uint64_t sock, uint8_t dir, uint64_t seq,
		       const void *p, size_t n)
{
	struct ar_data_event *ev = (struct ar_data_event *)rec;

	memset(rec, 0, sizeof(*ev));
	ev->hdr = tls_hdr(AR_EV_DATA);
	ev->source = AR_SRC_TLS;
	ev->ssl_ptr = ssl;
	ev->sock_conn_id = sock;
	ev->dir = dir;
	ev->seq = seq;
	ev->len = n;
	memcpy(ev->data, p, n);
	return sizeof(*ev) + n;
}

/* An AR_EV_TLS_ODD record, as ssl_odd (bpf/tls.bpf.h) makes it. */
static size_t odd_rec(uint8_t *rec, uint64_t ssl, uint8_t why, uint64_t len_arg, int64_t ret)
{
	struct ar_tls_odd *o = (struct ar_tls_odd *)rec;

	*o = (struct ar_tls_odd){ .hdr = tls_hdr(AR_EV_TLS_ODD), .ssl_ptr = ssl, .why = why,
				  .len_arg = len_arg, .ret = ret, .done = ret };
	return sizeof(*o);
}

static void feed_at(struct tls_files *t, uint64_t ssl, uint64_t sock, uint8_t dir, uint64_t seq,
		    const void *p, size_t n)
{
	uint8_t rec[sizeof(struct ar_data_event) + 256];

	tls_files__first_call(t, rec, data_rec(rec, ssl, sock, dir, seq, p, n));
}

static void feed(struct tls_files *t, uint64_t seq, const void *p, size_t n)
{
	feed_at(t, 0x5500001000, 0, AR_DIR_EGRESS, seq, p, n);
}

static void feed_odd(struct tls_files *t, uint64_t ssl, uint8_t why, uint64_t len_arg,
		     int64_t ret)
{
	uint8_t rec[sizeof(struct ar_tls_odd)];

	tls_files__first_call(t, rec, odd_rec(rec, ssl, why, len_arg, ret));
}

/* n odd calls of one SSL* with 64-byte buffers: a pointer returned as
 * the count, or a buffer that does not read. */
static void feed_odds(struct tls_files *t, uint8_t why, int n)
{
	for (int i = 0; i < n; i++)
		feed_odd(t, 0x5500001000, why, 64, why == AR_ODD_RETURN ? 0x5500a000 : 64);
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

static const char req[] = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n";
static const char resp[] = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n";

/* A right location: the request and its response on one SSL*. */
Test(first_calls, plaintext_on_a_stable_ssl_makes_it_trusted)
{
	struct tls_files *t = setup_table(false);

	feed_at(t, 0x5500002000, 7, AR_DIR_INGRESS, 0, junk, sizeof(junk)); /* opened before */
	feed_at(t, 0x5500001000, 9, AR_DIR_EGRESS, 0, req, sizeof(req) - 1);
	feed_at(t, 0x5500001000, 9, AR_DIR_EGRESS, sizeof(req) - 1, "{}", 2);
	feed_at(t, 0x5500001000, 9, AR_DIR_INGRESS, 0, resp, sizeof(resp) - 1);
	for (int i = 0; i < 2 * FIRST_CALLS_STRIKES; i++) {
		feed(t, 0, junk, sizeof(junk));
		feed_odd(t, 0x5500003000, AR_ODD_RETURN, 10, 20);
	}
	cr_assert_eq(live, 1, "trusted: later calls are not judged");
	tls_files__free(t);
	cr_assert_eq(live, 0);
	unlink(bin);
}

/* A wrong function that is handed the plaintext buffer, but whose first
 * argument is a new stack or heap address on every call: each call is a
 * "stream start" that parses, on the same socket. */
Test(first_calls, a_new_ssl_pointer_on_every_call_is_refused)
{
	struct tls_files *t = setup_table(false);
	struct tls_files_stats s;

	for (uint64_t i = 0; i < 2 * FIRST_CALLS_STRIKES && live; i++)
		feed_at(t, 0x7ffc0000 + 0x40 * i, 9, i % 2 ? AR_DIR_INGRESS : AR_DIR_EGRESS, 0,
			i % 2 ? resp : req, (i % 2 ? sizeof(resp) : sizeof(req)) - 1);
	cr_assert_eq(live, 0, "an unstable SSL* is refused and detached");
	tls_files__stats(t, &s);
	cr_assert_eq(s.refused, 1);
	tls_files__free(t);
	unlink(bin);
}

/* The wrong calling convention (ssl_write_internal's flags argument read
 * as the written pointer), or a wrong function: results larger than the
 * length argument. */
Test(first_calls, results_beyond_the_length_argument_are_refused)
{
	struct tls_files *t = setup_table(false);

	feed_odds(t, AR_ODD_RETURN, FIRST_CALLS_STRIKES - 1);
	cr_assert_eq(live, 1, "refused only after FIRST_CALLS_STRIKES");
	feed_odds(t, AR_ODD_RETURN, 1);
	cr_assert_eq(live, 0, "detached");
	{
		struct tls_files_stats st;

		tls_files__stats(t, &st);
		cr_assert_eq(st.odd_calls, FIRST_CALLS_STRIKES, "each odd call counted");
	}
	tls_files__free(t);
	unlink(bin);
}

/* A wrong function whose second argument is no buffer: every read fails,
 * nothing is emitted, and yet it must not stay attached unjudged. */
Test(first_calls, buffers_that_never_read_are_refused)
{
	struct tls_files *t = setup_table(false);

	feed_odds(t, AR_ODD_UNREADABLE, FIRST_CALLS_STRIKES - 1);
	feed_at(t, 0x5500001000, 9, AR_DIR_INGRESS, 100, "x", 1); /* one read worked */
	feed_odds(t, AR_ODD_UNREADABLE, FIRST_CALLS_STRIKES - 1);
	cr_assert_eq(live, 1, "counted in a row: a readable call resets");
	feed_odds(t, AR_ODD_UNREADABLE, 1);
	cr_assert_eq(live, 0, "detached");
	tls_files__free(t);
	unlink(bin);
}

/* The judge on its own: what holds trust back. */
static enum first_calls_verdict judge(struct first_calls *fc, uint64_t ssl, uint64_t sock,
				      uint8_t dir, uint64_t seq, const char *p)
{
	uint8_t rec[sizeof(struct ar_data_event) + 256];

	return first_calls__record(fc, rec, data_rec(rec, ssl, sock, dir, seq, p, strlen(p)), NULL);
}

Test(first_calls, trust_needs_the_start_s_ssl_back_and_no_odd_result)
{
	struct first_calls *fc = first_calls__new();
	uint8_t rec[sizeof(struct ar_tls_odd)];
	const char *why = NULL;

	cr_assert_eq(judge(fc, 0xa0, 0, AR_DIR_EGRESS, 0, req), FIRST_CALLS_UNDECIDED,
		     "one plausible start alone proves no stable SSL*");
	cr_assert_eq(judge(fc, 0xb0, 0, AR_DIR_INGRESS, 0, resp), FIRST_CALLS_UNDECIDED,
		     "the response on another SSL*");
	cr_assert_eq(first_calls__record(fc, rec, odd_rec(rec, 0xa0, AR_ODD_RETURN, 10, 11), &why),
		     FIRST_CALLS_UNDECIDED);
	cr_assert_eq(judge(fc, 0xa0, 0, AR_DIR_INGRESS, 0, resp), FIRST_CALLS_UNDECIDED,
		     "a result beyond its length was seen: never trusted on this evidence");
	first_calls__free(fc);

	fc = first_calls__new();
	judge(fc, 0xa0, 0, AR_DIR_EGRESS, 0, req);
	cr_assert_eq(judge(fc, 0xa0, 0, AR_DIR_INGRESS, 0, resp), FIRST_CALLS_TRUSTED);
	first_calls__free(fc);
}

/* Over a memory BIO no socket is linked yet: a run of new pointers. */
Test(first_calls, new_pointers_without_a_socket_are_refused)
{
	struct first_calls *fc = first_calls__new();
	enum first_calls_verdict v = FIRST_CALLS_UNDECIDED;
	const char *why = NULL;
	int calls = 0;

	while (v == FIRST_CALLS_UNDECIDED && calls < 100) {
		uint8_t rec[sizeof(struct ar_data_event) + 256];
		size_t n = data_rec(rec, 0x7ffc0000 + 0x40 * calls, 0, AR_DIR_EGRESS, 0, req,
				    sizeof(req) - 1);

		v = first_calls__record(fc, rec, n, &why);
		calls++;
	}
	cr_assert_eq(v, FIRST_CALLS_REFUSED);
	cr_assert_eq(calls, FIRST_CALLS_STRIKES * FIRST_CALLS_NEW_PTR_RUN);
	cr_assert_str_eq(why, "the SSL* argument is not stable within a connection");
	first_calls__free(fc);
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
