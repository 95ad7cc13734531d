// SPDX-License-Identifier: MIT
/* A stream that reached its protocol's terminal event is complete even if
 * the client stopped reading before HTTP's last chunk (stdlib clients and
 * hand-written agents stop at data: [DONE] / message_stop); only a stream
 * cut before that event is incomplete. */
#include "genai_fixture.h"
#include "genai/semconv.h"

/* The fixture's span when the response did not reach its framing end. */
static struct span *without_last_chunk(const char *cas, struct fx *f, struct genai **g)
{
	fx_load(f, cas);
	*g = genai__new(NULL);
	cr_assert_not_null(*g);
	f->x.resp_complete = false;
	return genai__span_from_exchange(*g, &f->x, 0);
}

static void complete_at_terminal_event(const char *cas)
{
	struct genai *g;
	struct fx f;
	struct span *s = without_last_chunk(cas, &f, &g);
	const struct attr *e;

	cr_assert_not_null(s, "%s", cas);
	e = span__get(s, SC_ERROR_TYPE);
	cr_assert_null(e, "%s: error.type %s", cas, e ? e->s : "");
	cr_assert_neq(s->status, SPAN_STATUS_ERROR, "%s", cas);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}

Test(genai_terminal, openai_done) { complete_at_terminal_event("openai/chat_stream"); }
Test(genai_terminal, openai_responses_completed) { complete_at_terminal_event("openai/responses_stream"); }
Test(genai_terminal, anthropic_message_stop) { complete_at_terminal_event("anthropic/messages_stream"); }

Test(genai_terminal, cut_before_the_terminal_event_is_still_incomplete)
{
	struct genai *g;
	struct fx f;
	struct span *s = without_last_chunk("openai/chat_stream_truncated", &f, &g);

	cr_assert_not_null(s);
	cr_assert_not_null(span__get(s, SC_ERROR_TYPE));
	cr_assert_str_eq(span__get(s, SC_ERROR_TYPE)->s, SC_ERR_STREAM_INCOMPLETE);
	span__free(s);
	genai__free(g);
	fx_free(&f);
}
