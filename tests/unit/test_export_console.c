// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/console.h"

static struct span *cspan(const char *name, uint8_t id, uint8_t parent, uint64_t start_ms)
{
	struct span *s = span__new(name, SPAN_KIND_CLIENT);

	s->trace_id[0] = 9;
	s->span_id[0] = id;
	s->parent_span_id[0] = parent;
	s->start_ns = 1700000000000000000ull + start_ms * 1000000ull;
	s->end_ns = s->start_ns + 812000000ull;
	s->proc.pid = 4321;
	snprintf(s->proc.service_name, sizeof(s->proc.service_name), "my-agent");
	return s;
}

Test(export_console, line_shows_the_call)
{
	struct span *s = cspan("chat gpt-4o", 1, 0, 0);
	const char *fr[] = { "stop", "tool_calls" };
	char line[512];

	span__set_str(s, "gen_ai.request.model", "gpt-4o");
	span__set_str(s, "gen_ai.response.model", "gpt-4o-2024-08-06");
	span__set_int(s, "gen_ai.usage.input_tokens", 1234);
	span__set_int(s, "gen_ai.usage.output_tokens", 56);
	attrs__set_str_array(&s->attrs, "gen_ai.response.finish_reasons", fr, 2);
	console__format(s, 0, false, line, sizeof(line));
	cr_assert(strstr(line, "my-agent/4321"), "%s", line);
	cr_assert(strstr(line, "chat gpt-4o"), "%s", line);
	cr_assert(strstr(line, "gpt-4o-2024-08-06"), "response model preferred: %s", line);
	cr_assert(strstr(line, "in=1234"), "%s", line);
	cr_assert(strstr(line, "out=56"), "%s", line);
	cr_assert(strstr(line, "stop,tool_calls"), "%s", line);
	cr_assert(strstr(line, "812ms"), "%s", line);
	cr_assert(strstr(line, "OK"), "%s", line);
	cr_assert_null(strchr(line, '\033'), "no colour when asked for none");
	span__free(s);
}

Test(export_console, error_status_and_colour)
{
	struct span *s = cspan("chat x", 1, 0, 0);
	char line[512];

	s->status = SPAN_STATUS_ERROR;
	span__set_str(s, "error.type", "429");
	console__format(s, 0, false, line, sizeof(line));
	cr_assert(strstr(line, "ERROR 429"), "%s", line);
	cr_assert(strstr(line, "in=-"), "%s", line);
	console__format(s, 0, true, line, sizeof(line));
	cr_assert(strstr(line, "\033[31m"), "%s", line);
	span__free(s);
}

Test(export_console, tree_children_under_parent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct console *c = console__new(f, false);
	/* Children finish (and arrive) before their parent. */
	struct span *b1[3] = { cspan("child-b", 3, 1, 20), cspan("child-a", 2, 1, 10),
			       cspan("agent", 1, 0, 0) };
	struct span *b2[1] = { cspan("late-grandchild", 4, 2, 30) };
	char *l_agent, *l_a, *l_b, *l_g;

	cr_assert_eq(console__write(c, b1, 3), 0);
	cr_assert_eq(console__write(c, b2, 1), 0);
	fclose(f);
	l_agent = strstr(buf, " agent ");
	l_a = strstr(buf, "└ child-a");
	l_b = strstr(buf, "└ child-b");
	l_g = strstr(buf, "  └ late-grandchild");
	cr_assert(l_agent && l_a && l_b && l_g, "%s", buf);
	cr_assert(l_agent < l_a && l_a < l_b && l_b < l_g, "%s", buf);
	cr_assert(strstr(buf, "SERVICE/PID"), "header printed once: %s", buf);
	cr_assert_null(strstr(strstr(buf, "SERVICE/PID") + 1, "SERVICE/PID"));
	for (int i = 0; i < 3; i++)
		span__free(b1[i]);
	span__free(b2[0]);
	console__free(c);
	free(buf);
}

Test(export_console, control_chars_do_not_break_lines)
{
	struct span *s = cspan("evil\nname\033[2J", 1, 0, 0);
	char line[512];

	console__format(s, 0, false, line, sizeof(line));
	cr_assert_null(strchr(line, '\n'));
	cr_assert_null(strchr(line, '\033'));
	span__free(s);
}

/* --- console trees: a trace printed whole, once its root ended --- */
#include "export/console_tree.h"

static struct span *tspan(const char *name, uint8_t trace, uint8_t id, uint8_t parent,
			  uint64_t start_ms)
{
	struct span *s = cspan(name, id, parent, start_ms);

	s->trace_id[0] = trace;
	return s;
}

Test(export_console_tree, children_wait_for_their_root_and_print_indented)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct console *c = console__new(f, false);
	struct console_tree *t = console_tree__new(c);
	const uint64_t ms = 1000000ull;

	cr_assert(f && c && t);
	/* calls end before the request that made them */
	cr_assert_eq(console_tree__add(t, tspan("chat a", 1, 2, 1, 10), 0), 0);
	cr_assert_eq(console_tree__add(t, tspan("other root", 7, 9, 0, 11), 1 * ms), 0);
	cr_assert_eq(console_tree__add(t, tspan("GET tool", 1, 3, 1, 20), 2 * ms), 0);
	cr_assert_eq(console_tree__flush(t, 100 * ms), 0);
	fflush(f);
	cr_expect_eq(len, 0, "nothing printed before a root ended: %s", buf);
	cr_assert_eq(console_tree__add(t, tspan("POST /run", 1, 1, 0, 5), 200 * ms), 0);
	cr_expect_eq(console_tree__next(t), 1 * ms + CONSOLE_TREE_SETTLE_NS, "trace 7 first");
	cr_assert_eq(console_tree__flush(t, 200 * ms + CONSOLE_TREE_SETTLE_NS), 0);
	fflush(f);
	cr_assert_not_null(strstr(buf, "POST /run"), "%s", buf);
	cr_expect_not_null(strstr(buf, "\n" /* header */), "%s", buf);
	cr_expect_not_null(strstr(buf, "└ chat a"), "child indented under its root: %s", buf);
	cr_expect(strstr(buf, "POST /run") < strstr(buf, "└ chat a"), "root first: %s", buf);
	cr_expect(strstr(buf, "└ chat a") < strstr(buf, "└ GET tool"), "by start: %s", buf);
	cr_expect(strstr(buf, "other root") != NULL, "a lone root settles too: %s", buf);
	cr_expect_eq(console_tree__next(t), UINT64_MAX);
	console_tree__free(t);
	console__free(c);
	fclose(f);
	free(buf);
}

Test(export_console_tree, rootless_trace_prints_after_max_wait)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct console *c = console__new(f, false);
	struct console_tree *t = console_tree__new(c);

	cr_assert_eq(console_tree__add(t, tspan("orphan", 3, 2, 1, 0), 0), 0);
	cr_assert_eq(console_tree__flush(t, CONSOLE_TREE_MAX_WAIT_NS - 1), 0);
	fflush(f);
	cr_expect_null(strstr(buf ? buf : "", "orphan"));
	cr_assert_eq(console_tree__flush(t, CONSOLE_TREE_MAX_WAIT_NS), 0);
	fflush(f);
	cr_expect_not_null(strstr(buf, "orphan"));
	console_tree__free(t);
	console__free(c);
	fclose(f);
	free(buf);
}

/* A provider's error text is callee-controlled: its ESC (and 8-bit CSI)
 * must not reach the terminal; only our own colour codes do. */
Test(export_console, provider_error_escapes_are_neutralised)
{
	struct span *s = cspan("chat x", 1, 0, 0);
	char line[512];
	int esc = 0;

	s->status = SPAN_STATUS_ERROR;
	span__set_str(s, "error.type", "bad\033]0;pwned\007\033[2J\xc2\x9b" "31m");
	console__format(s, 0, false, line, sizeof(line));
	cr_assert_null(strchr(line, '\033'), "%s", line);
	cr_assert_null(strstr(line, "\xc2\x9b"), "%s", line);
	cr_assert(strstr(line, "ERROR bad"), "%s", line);
	console__format(s, 0, true, line, sizeof(line));
	for (const char *p = line; *p; p++)
		esc += *p == '\033';
	cr_assert_eq(esc, 4, "only the dim/reset and red/reset codes: %s", line);
	span__free(s);
}

Test(export_console, links_printed_under_their_span)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct console *c = console__new(f, false);
	struct span *s = cspan("chat gpt-4o", 1, 0, 0);
	uint8_t tid[16] = { 9 }, sid[8] = { 0xab, 0xcd, 0, 0, 0, 0, 0, 0x01 };

	attrs__set_str(&span__add_link(s, tid, sid)->attrs, "gen_ai.tool.call.id", "call_7");
	cr_assert_eq(console__write(c, &s, 1), 0);
	fclose(f);
	cr_assert(strstr(buf, "-> link abcd000000000001 tool_call call_7\n"), "%s", buf);
	console__free(c);
	span__free(s);
	free(buf);
}
