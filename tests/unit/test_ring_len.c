// SPDX-License-Identifier: MIT
/* The ring reader cuts a size-class record's slack (AR_F_SLACK) and
 * leaves every other record as it came. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include <agentrace/events.h>

#include "capture/ring.h"

static size_t rec(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t len)
{
	struct ar_data_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = type;
	ev.hdr.flags = flags;
	ev.len = len;
	memcpy(buf, &ev, sizeof(ev));
	return sizeof(ev);
}

Test(ring_len, slack_past_the_payload_is_cut)
{
	static uint8_t buf[sizeof(struct ar_data_event) + 1024];
	size_t hdr = rec(buf, AR_EV_DATA, AR_F_TLS | AR_F_SLACK, 700);

	cr_assert_eq(ring__record_len(buf, hdr + 1024), hdr + 700);
	/* exact already */
	cr_assert_eq(ring__record_len(buf, hdr + 700), hdr + 700);
}

Test(ring_len, other_records_are_left_alone)
{
	static uint8_t buf[sizeof(struct ar_data_event) + 1024];
	size_t hdr = rec(buf, AR_EV_DATA, AR_F_TLS, 700);

	cr_assert_eq(ring__record_len(buf, hdr + 1024), hdr + 1024, "no AR_F_SLACK");
	rec(buf, AR_EV_CONN_OPEN, AR_F_SLACK, 0);
	cr_assert_eq(ring__record_len(buf, hdr + 1024), hdr + 1024, "not data");
	rec(buf, AR_EV_DATA, AR_F_SLACK, 2000);
	cr_assert_eq(ring__record_len(buf, hdr + 1024), hdr + 1024,
		     "a length past the record is the consumer's to refuse");
	cr_assert_eq(ring__record_len(buf, 10), 10, "shorter than a header");
}

/* A wakeup per eighth of the ring, and never per less than 64 KiB. */
Test(ring_len, wakeup_shift_is_an_eighth_of_the_ring)
{
	cr_assert_eq(ring__wakeup_shift(8u << 20), 20);
	cr_assert_eq(ring__wakeup_shift(1u << 20), 17);
	cr_assert_eq(ring__wakeup_shift(1u << 30), 27);
	cr_assert_eq(ring__wakeup_shift(256u << 10), 16);
	cr_assert_eq(ring__wakeup_shift(4096), 16);
}
