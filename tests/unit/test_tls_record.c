// SPDX-License-Identifier: MIT
/*
 * TLS 1.3 records as rustls's AEAD probes see them (agentrace/tls_record.h,
 * used by bpf/tls_aead.bpf.h): the associated data is the record header,
 * the plaintext TLSInnerPlaintext = content || type || zeros (RFC 8446
 * 5.2). The probes read only the last AR_TLS_TAIL bytes of a record, so
 * each case is fed the way they feed it.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include <agentrace/tls_record.h>

/* What the BPF program does with one record of len bytes at rec. */
static long inner(const uint8_t *rec, size_t len, uint8_t *type)
{
	size_t n = len < AR_TLS_TAIL ? len : AR_TLS_TAIL;

	return ar_tls13_inner(rec + len - n, n, len, type);
}

static size_t record(uint8_t *out, const char *content, uint8_t type, size_t pad)
{
	size_t n = strlen(content);

	memcpy(out, content, n);
	out[n] = type;
	memset(out + n + 1, 0, pad);
	return n + 1 + pad;
}

static const char req[] = "POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1:8443\r\n"
			  "content-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

Test(tls_record, application_data_without_padding)
{
	uint8_t rec[256], type = 0;
	size_t len = record(rec, req, AR_TLS_CT_APPDATA, 0);

	cr_assert_eq(inner(rec, len, &type), (long)strlen(req));
	cr_assert_eq(type, AR_TLS_CT_APPDATA);
}

Test(tls_record, padding_is_stripped)
{
	uint8_t rec[256], type = 0;

	for (size_t pad = 1; pad < AR_TLS_TAIL; pad++) {
		size_t len = record(rec, req, AR_TLS_CT_APPDATA, pad);

		cr_assert_eq(inner(rec, len, &type), (long)strlen(req), "pad %zu", pad);
		cr_assert_eq(type, AR_TLS_CT_APPDATA);
	}
}

/* Padding that hides the type from the tail: the record is declared lost
 * (a gap), never emitted with its zeros. */
Test(tls_record, padding_beyond_the_tail_is_not_guessed)
{
	uint8_t rec[256], type = 0;
	size_t len = record(rec, req, AR_TLS_CT_APPDATA, AR_TLS_TAIL);

	cr_assert_eq(inner(rec, len, &type), -1);
}

Test(tls_record, short_records)
{
	uint8_t rec[64], type = 0;
	size_t len = record(rec, "0\r\n\r\n", AR_TLS_CT_APPDATA, 2); /* a chunked body's end */

	cr_assert_eq(inner(rec, len, &type), 5);
	cr_assert_eq(type, AR_TLS_CT_APPDATA);
	len = record(rec, "", AR_TLS_CT_APPDATA, 0); /* empty application data */
	cr_assert_eq(inner(rec, len, &type), 0);
	memset(rec, 0, 8); /* all padding: no type at all */
	cr_assert_eq(inner(rec, 8, &type), -1);
}

/* Sealed the same way, not part of the stream: a close_notify alert and a
 * NewSessionTicket (handshake type 4) keep their own type. */
Test(tls_record, alert_and_handshake_records_keep_their_type)
{
	static const uint8_t alert[] = { 0x01, 0x00, AR_TLS_CT_ALERT };
	static const uint8_t ticket[] = { 0x04, 0x00, 0x00, 0x05, 0x00, 0x00, 0x1c, 0x20, 0x00,
					  AR_TLS_CT_HANDSHAKE, 0, 0 };
	uint8_t type = 0;

	cr_assert_eq(inner(alert, sizeof(alert), &type), 2);
	cr_assert_eq(type, AR_TLS_CT_ALERT);
	cr_assert_eq(inner(ticket, sizeof(ticket), &type), 9);
	cr_assert_eq(type, AR_TLS_CT_HANDSHAKE);
}

/* A full record: 2^14 bytes of content, the most TLS allows. */
Test(tls_record, full_size_record)
{
	static uint8_t rec[16384 + 1 + 4];
	uint8_t type = 0;

	memset(rec, 'a', 16384);
	rec[16384] = AR_TLS_CT_APPDATA;
	cr_assert_eq(inner(rec, sizeof(rec), &type), 16384);
}

Test(tls_record, associated_data_of_tls13_only)
{
	static const uint8_t tls13[] = { 0x17, 0x03, 0x03, 0x00, 0x4a };
	/* TLS 1.2's is seq_num(8) || type || version || length */
	static const uint8_t tls12[] = { 0, 0, 0, 0, 0, 0, 0, 1, 0x17, 0x03, 0x03, 0x00, 0x20 };
	static const uint8_t hs[] = { 0x16, 0x03, 0x01, 0x00, 0x4a };

	cr_assert(ar_tls13_aad(tls13, sizeof(tls13)));
	cr_assert(!ar_tls13_aad(tls12, sizeof(tls12)));
	cr_assert(!ar_tls13_aad(hs, sizeof(hs)));
}
