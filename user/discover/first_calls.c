// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agentrace/events.h"
#include "discover/first_calls.h"

/* Pointers and sockets remembered per file on probation: enough for the
 * connections an agent opens before its first response. */
#define RECENT 64

struct seen_ptr {
	uint32_t tgid;
	bool plausible_start; /* a stream start through it looked like plaintext */
	uint64_t ptr;
};

/* The SSL* first seen on a socket connection, and the last other one
 * (so two pointers a memory-BIO link confused count once, not per call). */
struct sock_ptrs {
	uint32_t tgid;
	uint64_t sock;
	uint64_t first, other;
};

struct first_calls {
	enum first_calls_verdict verdict;
	uint8_t implausible; /* stream starts that were not plaintext */
	uint8_t odd_return;  /* results the length argument cannot explain */
	uint8_t unreadable;  /* unreadable buffers in a row */
	uint8_t unstable;    /* SSL* changes within a connection, new-pointer runs */
	uint8_t new_run;     /* records in a row with a pointer never seen */
	struct seen_ptr ptrs[RECENT];
	size_t next_ptr;
	struct sock_ptrs socks[RECENT];
	size_t next_sock;
};

struct first_calls *first_calls__new(void)
{
	return calloc(1, sizeof(struct first_calls));
}

void first_calls__free(struct first_calls *fc)
{
	free(fc);
}

/* "GET ", "POST ", "OPTIONS ": an upper-case token and a space. */
static int http1_request(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i == n)
		return -1;
	return i >= 3 && p[i] == ' ';
}

/* An HTTP/2 SETTINGS frame on stream 0: its payload is 6-byte settings. */
static bool h2_settings(const uint8_t *p, size_t n)
{
	uint32_t len, sid;

	if (n < 9 || p[3] != 4 || (p[4] & ~1u))
		return false;
	len = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
	sid = ((uint32_t)p[5] << 24 | p[6] << 16 | p[7] << 8 | p[8]) & 0x7fffffff;
	return sid == 0 && len % 6 == 0 && len <= 16384;
}

int first_calls__plausible(const uint8_t *p, size_t n)
{
	static const char preface[] = "PRI * HTTP/2.0";
	static const char status[] = "HTTP/1.";

	if (n >= sizeof(preface) - 1 && !memcmp(p, preface, sizeof(preface) - 1))
		return 1;
	if (n >= sizeof(status) - 1 && !memcmp(p, status, sizeof(status) - 1))
		return 1;
	if (h2_settings(p, n))
		return 1;
	if (n < 9)
		return -1;
	return http1_request(p, n) == 1;
}

static struct seen_ptr *find_ptr(struct first_calls *fc, uint32_t tgid, uint64_t ptr)
{
	for (size_t i = 0; i < RECENT; i++)
		if (fc->ptrs[i].ptr == ptr && fc->ptrs[i].tgid == tgid)
			return &fc->ptrs[i];
	return NULL;
}

/* One socket connection keeps one SSL*: a wrong first argument (a stack
 * or heap address per call) brings a new one on every call. */
static void check_socket(struct first_calls *fc, uint32_t tgid, uint64_t sock, uint64_t ptr)
{
	struct sock_ptrs *s;

	for (size_t i = 0; i < RECENT; i++) {
		s = &fc->socks[i];
		if (s->sock != sock || s->tgid != tgid)
			continue;
		if (ptr != s->first && ptr != s->other) {
			s->other = ptr;
			fc->unstable++;
		}
		return;
	}
	fc->socks[fc->next_sock++ % RECENT] =
		(struct sock_ptrs){ .tgid = tgid, .sock = sock, .first = ptr, .other = ptr };
}

/* A data record; returns true when a plausible stream start's SSL* came
 * back in this later call (the stream identity holds). */
static bool data(struct first_calls *fc, const struct ar_data_event *ev)
{
	struct seen_ptr *p = find_ptr(fc, ev->hdr.tgid, ev->ssl_ptr);
	bool confirmed = p && p->plausible_start;
	int v;

	fc->unreadable = 0;
	if (ev->sock_conn_id)
		check_socket(fc, ev->hdr.tgid, ev->sock_conn_id, ev->ssl_ptr);
	if (p) {
		fc->new_run = 0;
	} else {
		p = &fc->ptrs[fc->next_ptr++ % RECENT];
		*p = (struct seen_ptr){ .tgid = ev->hdr.tgid, .ptr = ev->ssl_ptr };
		if (++fc->new_run == FIRST_CALLS_NEW_PTR_RUN) {
			fc->new_run = 0;
			fc->unstable++;
		}
	}
	if (ev->seq != 0)
		return confirmed;
	v = first_calls__plausible(ev->data, ev->len);
	if (v == 1)
		p->plausible_start = true;
	else if (v == 0)
		fc->implausible++;
	return confirmed;
}

static enum first_calls_verdict refuse(struct first_calls *fc, const char **why, const char *w)
{
	if (why)
		*why = w;
	return fc->verdict = FIRST_CALLS_REFUSED;
}

enum first_calls_verdict first_calls__record(struct first_calls *fc, const void *rec,
					     size_t len, const char **why)
{
	const struct ar_event_hdr *h = rec;
	const struct ar_data_event *ev = rec;
	const struct ar_tls_odd *odd = rec;
	bool confirmed = false;

	if (fc->verdict != FIRST_CALLS_UNDECIDED || len < sizeof(*h))
		return fc->verdict;
	if (h->type == AR_EV_DATA) {
		if (len < sizeof(*ev) || ev->source != AR_SRC_TLS || ev->len > len - sizeof(*ev))
			return fc->verdict;
		confirmed = data(fc, ev);
	} else if (h->type == AR_EV_TLS_ODD && len >= sizeof(*odd)) {
		if (odd->why == AR_ODD_RETURN)
			fc->odd_return++;
		else if (odd->why == AR_ODD_UNREADABLE)
			fc->unreadable++;
	} else {
		return fc->verdict;
	}
	if (fc->implausible >= FIRST_CALLS_STRIKES)
		return refuse(fc, why, "stream starts do not look like plaintext");
	if (fc->odd_return >= FIRST_CALLS_STRIKES)
		return refuse(fc, why, "results do not fit their length arguments");
	if (fc->unreadable >= FIRST_CALLS_STRIKES)
		return refuse(fc, why, "buffer arguments cannot be read");
	if (fc->unstable >= FIRST_CALLS_STRIKES)
		return refuse(fc, why, "the SSL* argument is not stable within a connection");
	/* a correct function never returns more than asked: no trust after one */
	if (confirmed && !fc->odd_return)
		fc->verdict = FIRST_CALLS_TRUSTED;
	return fc->verdict;
}
