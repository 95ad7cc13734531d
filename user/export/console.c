// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/console.h"
#include "genai/semconv.h"

#define RECENT_MAX 1024 /* spans remembered for indenting later children */
#define DEPTH_MAX 8     /* deeper spans are drawn at this indent */
#define TREE_MAX 4096   /* bigger batches print flat (parent search is n^2) */

struct recent {
	uint8_t span_id[8];
	int depth;
};

struct console {
	FILE *f;
	bool color, header_done;
	struct recent recent[RECENT_MAX]; /* ring of printed spans */
	size_t recent_next;
};

struct console *console__new(FILE *f, bool color)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->f = f;
	c->color = color;
	return c;
}

void console__free(struct console *c)
{
	free(c);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Depth of a remembered span, or -1. */
static int recent_depth(const struct console *c, const uint8_t *id)
{
	if (all_zero(id, 8))
		return -1;
	for (size_t i = 0; i < RECENT_MAX; i++)
		if (memcmp(c->recent[i].span_id, id, 8) == 0)
			return c->recent[i].depth;
	return -1;
}

static void recent_add(struct console *c, const uint8_t *id, int depth)
{
	struct recent *r = &c->recent[c->recent_next++ % RECENT_MAX];

	memcpy(r->span_id, id, 8);
	r->depth = depth;
}

/* Copies s into a field of width w, cut with '~' when too long. The
 * field is at most 127 bytes. */
static void field(char *out, const char *s, int w)
{
	int n = (int)strlen(s);

	if (w > 127)
		w = 127;
	if (n > w) {
		int cut = w - 1;

		/* Never split a UTF-8 character. */
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(out, s, cut);
		out[cut] = '~';
		memset(out + cut + 1, ' ', w - 1 - cut);
		out[w] = '\0';
	} else {
		snprintf(out, 128, "%-*s", w, s);
	}
	/* Keep one line per span whatever the strings hold, and no terminal
	 * control: C0, DEL and the UTF-8 encoded C1 controls (U+0080-U+009F,
	 * CSI among them). */
	for (unsigned char *p = (unsigned char *)out; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			p[0] = '?', p[1] = '?';
	}
}

static const char *str_attr(const struct span *s, const char *key)
{
	const struct attr *a = attrs__get(&s->attrs, key);

	return a && a->type == ATTR_STR ? a->s : NULL;
}

static void int_attr(const struct span *s, const char *key, char *buf, size_t sz)
{
	const struct attr *a = attrs__get(&s->attrs, key);

	if (a && a->type == ATTR_INT)
		snprintf(buf, sz, "%" PRId64, a->i);
	else
		snprintf(buf, sz, "-");
}

static void finish_reasons(const struct span *s, char *buf, size_t sz)
{
	const struct attr *a = attrs__get(&s->attrs, SC_GEN_AI_RESPONSE_FINISH_REASONS);
	size_t o = 0;

	buf[0] = '\0';
	if (a && a->type == ATTR_STR)
		snprintf(buf, sz, "%s", a->s);
	else if (a && a->type == ATTR_STR_ARRAY)
		for (size_t i = 0; i < a->arr.n && o < sz; i++)
			o += snprintf(buf + o, sz - o, "%s%s", i ? "," : "", a->arr.v[i]);
	if (!buf[0])
		snprintf(buf, sz, "-");
}

void console__format(const struct span *s, int depth, bool color, char *buf, size_t sz)
{
	char when[16], who[128], name[128], tree[128], model[128], fin[64], fin_f[128];
	char in[24], out[24], status[160], why[128];
	const char *m, *err;
	time_t secs = (time_t)(s->start_ns / 1000000000ull);
	struct tm tm;
	double ms = s->end_ns > s->start_ns ? (double)(s->end_ns - s->start_ns) / 1e6 : 0;
	int indent;

	localtime_r(&secs, &tm);
	snprintf(when, sizeof(when), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(s->start_ns / 1000000ull % 1000));

	snprintf(tree, sizeof(tree), "%s/%u",
		 s->proc.service_name[0] ? s->proc.service_name
		 : s->proc.exe_name[0]   ? s->proc.exe_name
					 : "?",
		 s->proc.pid);
	field(who, tree, 22);

	if (depth > DEPTH_MAX)
		depth = DEPTH_MAX;
	indent = depth > 0 ? 2 * (depth - 1) : 0;
	snprintf(tree, sizeof(tree), "%*s%s%s", indent, "", depth > 0 ? "└ " : "",
		 s->name ? s->name : "");
	/* "└" is 3 bytes but one column wide: widen the field by 2. */
	field(name, tree, depth > 0 ? 34 + 2 : 34);

	m = str_attr(s, SC_GEN_AI_RESPONSE_MODEL);
	if (!m)
		m = str_attr(s, SC_GEN_AI_REQUEST_MODEL);
	field(model, m ? m : "-", 26);
	int_attr(s, SC_GEN_AI_USAGE_INPUT_TOKENS, in, sizeof(in));
	int_attr(s, SC_GEN_AI_USAGE_OUTPUT_TOKENS, out, sizeof(out));
	finish_reasons(s, fin, sizeof(fin));
	field(fin_f, fin, 16);

	err = str_attr(s, SC_ERROR_TYPE);
	if (s->status == SPAN_STATUS_ERROR || err) {
		/* provider error text is the callee's: its escapes must not
		 * reach the terminal, only ours do */
		field(why, err ? err : (s->status_message ? s->status_message : ""), 100);
		for (size_t n = strlen(why); n && why[n - 1] == ' '; n--)
			why[n - 1] = '\0';
		snprintf(status, sizeof(status), "%sERROR %s%s", color ? "\033[31m" : "", why,
			 color ? "\033[0m" : "");
	} else {
		snprintf(status, sizeof(status), "%sOK%s", color ? "\033[32m" : "",
			 color ? "\033[0m" : "");
	}

	snprintf(buf, sz, "%s%s%s %s %s %s in=%-7s out=%-7s %s %8.0fms  %s",
		 color ? "\033[2m" : "", when, color ? "\033[0m" : "", who, name, model, in,
		 out, fin_f, ms, status);
}

void console__format_link(const struct span_link *l, char *buf, size_t sz)
{
	const struct attr *a = attrs__get(&l->attrs, SC_GEN_AI_TOOL_CALL_ID);
	char id[17], who[80];

	for (int i = 0; i < 8; i++)
		snprintf(id + 2 * i, 3, "%02x", l->span_id[i]);
	field(who, a && a->type == ATTR_STR ? a->s : "", 64);
	/* field pads; trim the padding of a short id */
	for (size_t n = strlen(who); n && who[n - 1] == ' '; n--)
		who[n - 1] = '\0';
	snprintf(buf, sz, "-> link %s%s%s", id, who[0] ? " tool_call " : "", who);
}

/* Start-time order, then span id, for a stable tree. */
static int by_start(const void *a, const void *b, void *ud)
{
	struct span *const *spans = ud;
	const struct span *x = spans[*(const size_t *)a];
	const struct span *y = spans[*(const size_t *)b];

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return memcmp(x->span_id, y->span_id, 8);
}

static void print_line(struct console *c, const struct span *s, int depth)
{
	char line[512];

	console__format(s, depth, c->color, line, sizeof(line));
	fprintf(c->f, "%s\n", line);
	for (size_t i = 0; i < s->n_links; i++) {
		console__format_link(&s->links[i], line, sizeof(line));
		fprintf(c->f, "%*s%s\n", 48 + 2 * (depth > DEPTH_MAX ? DEPTH_MAX : depth), "",
			line);
	}
	recent_add(c, s->span_id, depth);
}

int console__write(struct console *c, struct span *const *spans, size_t n)
{
	size_t *order = NULL, *parent = NULL, *stack = NULL;
	int *depth = NULL;
	bool *done = NULL;
	int err = 0;

	if (!n)
		return 0;
	order = calloc(n, sizeof(*order));
	parent = calloc(n, sizeof(*parent));
	stack = calloc(n, sizeof(*stack));
	depth = calloc(n, sizeof(*depth));
	done = calloc(n, sizeof(*done));
	if (!order || !parent || !stack || !depth || !done) {
		/* Out of memory: still print, flat. */
		for (size_t i = 0; i < n; i++)
			print_line(c, spans[i], 0);
		goto cleanup;
	}
	if (!c->header_done) {
		fprintf(c->f, "%-12s %-22s %-34s %-26s %-10s %-11s %-16s %10s  %s\n", "TIME",
			"SERVICE/PID", "SPAN", "MODEL", "IN", "OUT", "FINISH", "LATENCY",
			"STATUS");
		c->header_done = true;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_start, (void *)spans);
	/* Parent inside the batch (n is a batch, at most a few thousand). */
	for (size_t i = 0; i < n; i++) {
		const struct span *s = spans[i];

		parent[i] = SIZE_MAX;
		if (n > TREE_MAX || all_zero(s->parent_span_id, 8))
			continue;
		for (size_t j = 0; j < n; j++)
			if (j != i && memcmp(spans[j]->span_id, s->parent_span_id, 8) == 0 &&
			    memcmp(spans[j]->trace_id, s->trace_id, 16) == 0) {
				parent[i] = j;
				break;
			}
	}
	/* Two passes: first the roots (parent not in the batch), then anything a
	 * parent cycle left unprinted. Depth-first, children by start time. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < n; k++) {
			size_t r = order[k], top = 0;
			int d;

			if (done[r] || (pass == 0 && parent[r] != SIZE_MAX))
				continue;
			d = recent_depth(c, spans[r]->parent_span_id);
			depth[r] = d >= 0 ? d + 1 : 0;
			done[r] = true;
			stack[top++] = r;
			while (top) {
				size_t cur = stack[--top];

				print_line(c, spans[cur], depth[cur]);
				/* Push children in reverse start order so the earliest pops first. */
				for (size_t kk = n; kk-- > 0;) {
					size_t ch = order[kk];

					if (!done[ch] && parent[ch] == cur) {
						done[ch] = true;
						depth[ch] = depth[cur] + 1;
						stack[top++] = ch;
					}
				}
			}
		}
	}
cleanup:
	free(order);
	free(parent);
	free(stack);
	free(depth);
	free(done);
	if (fflush(c->f) || ferror(c->f))
		err = -EIO;
	return err;
}
