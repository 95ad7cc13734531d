// SPDX-License-Identifier: MIT
/* A rustls record stream ends when the TLS socket it is tied to closes
 * (bpf/aead_link.bpf.h, from sock_close in bpf/sock.bpf.h): run in the
 * kernel by tests/bpf/aead_close.bpf.c; here the closes it emitted are
 * read back from the ring buffer. Needs CAP_BPF and CAP_PERFMON (root
 * here and in CI); skipped without them, loudly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agentrace/events.h"
#include "tests/aead_close.skel.h"

struct seen {
	int n;
	struct ar_conn_event ev[8];
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct seen *s = ctx;

	if (len >= sizeof(struct ar_conn_event) && s->n < 8)
		memcpy(&s->ev[s->n++], data, sizeof(struct ar_conn_event));
	return 0;
}

Test(aead_close, the_record_stream_ends_with_its_socket)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct aead_close_bpf *skel;
	struct ring_buffer *rb;
	struct seen s = { 0 };
	int err;

	skel = aead_close_bpf__open();
	cr_assert(skel, "open: %s", strerror(errno));
	skel->rodata->targ_all = true;
	err = aead_close_bpf__load(skel);
	if (err == -EPERM || err == -EACCES) {
		aead_close_bpf__destroy(skel);
		cr_skip_test("loading BPF needs CAP_BPF: %s", strerror(-err));
	}
	cr_assert_eq(err, 0, "load: %s", strerror(-err));
	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.aead_close), &opts), 0,
		     "test run: %s", strerror(errno));
	cr_assert_eq(skel->data->step, 0, "check %d failed", skel->data->step);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &s, NULL);
	cr_assert_not_null(rb);
	cr_assert_geq(ring_buffer__consume(rb), 0);
	/* stream close, socket close; socket close; plaintext socket close */
	cr_assert_eq(s.n, 4);
	cr_assert_eq(s.ev[0].hdr.type, AR_EV_CONN_CLOSE);
	cr_assert_eq(s.ev[0].hdr.flags, AR_F_TLS);
	cr_assert_eq(s.ev[0].hdr.conn_id, 0x5151);
	cr_assert_eq(s.ev[0].fd, 7);
	cr_assert_eq(s.ev[0].bytes[0], 10);
	cr_assert_eq(s.ev[0].bytes[1], 20);
	cr_assert_eq(s.ev[1].hdr.conn_id, 0x77);
	cr_assert_eq(s.ev[1].hdr.flags, AR_F_CIPHERTEXT);
	cr_assert_eq(s.ev[2].hdr.conn_id, 0x77, "no second stream close");
	cr_assert_eq(s.ev[3].hdr.conn_id, 0x78);
	ring_buffer__free(rb);
	aead_close_bpf__destroy(skel);
}
