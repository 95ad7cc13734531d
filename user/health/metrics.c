// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "health/metrics.h"
#include "metrics/levels.h"

#define MAX_SAMPLES 512

struct sample {
	char family[96];
	char reason[48]; /* "" = no label */
	uint64_t value;
	bool gauge;
};

/* Prometheus names: [a-zA-Z_:][a-zA-Z0-9_:]*; anything else becomes '_'. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			*s = '_';
}

static int add(struct sample *v, size_t *n, const char *prefix, const char *key,
	       uint64_t val)
{
	struct sample *s;
	const char *reason = NULL;

	if (*n == MAX_SAMPLES)
		return 0;
	s = &v[(*n)++];
	memset(s, 0, sizeof(*s));
	if (!strncmp(key, "dropped_", 8))
		reason = key + 8;
	else if (!strncmp(key, "drop_", 5))
		reason = key + 5;
	s->gauge = stats_level__is(prefix, key);
	if (reason && !s->gauge) {
		size_t rl = strlen(reason);
		bool bytes = rl > 6 && !strcmp(reason + rl - 6, "_bytes");

		/* records and bytes are different units: two families */
		snprintf(s->family, sizeof(s->family), "agentrace_%s_%s_total", prefix,
			 bytes ? "dropped_bytes" : "drops");
		snprintf(s->reason, sizeof(s->reason), "%.*s", (int)(bytes ? rl - 6 : rl), reason);
	} else {
		snprintf(s->family, sizeof(s->family), "agentrace_%s_%s%s", prefix, key,
			 s->gauge ? "" : "_total");
	}
	sanitize(s->family);
	s->value = val;
	return 0;
}

/* Parses "prefix: k=v k=v" lines into samples. */
static size_t parse_stats(const char *stats, struct sample *v)
{
	size_t n = 0;

	for (const char *l = stats; l && *l;) {
		const char *nl = strchr(l, '\n'), *end = nl ? nl : l + strlen(l);
		const char *colon = memchr(l, ':', end - l), *p;
		char prefix[32];

		if (colon && colon > l && (size_t)(colon - l) < sizeof(prefix) &&
		    colon + 1 < end && colon[1] == ' ') {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - l), l);
			for (p = colon + 1; p < end;) {
				const char *tok, *eq;
				char key[64], *num_end;
				uint64_t val;

				while (p < end && *p == ' ')
					p++;
				tok = p;
				while (p < end && *p != ' ')
					p++;
				eq = memchr(tok, '=', p - tok);
				if (!eq || eq == tok || (size_t)(eq - tok) >= sizeof(key) ||
				    !isdigit((unsigned char)eq[1]))
					continue;
				snprintf(key, sizeof(key), "%.*s", (int)(eq - tok), tok);
				val = strtoull(eq + 1, &num_end, 10);
				if (num_end != p)
					continue;
				add(v, &n, prefix, key, val);
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

/* Label values escape backslash, quote and newline. */
static void put_label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

int metrics__render(FILE *out, const char *stats, const struct metrics_extra *x)
{
	struct sample *v = calloc(MAX_SAMPLES, sizeof(*v));
	bool *done;
	size_t n;

	if (!v)
		return -ENOMEM;
	n = parse_stats(stats, v);
	done = calloc(n + 1, sizeof(*done));
	if (!done) {
		free(v);
		return -ENOMEM;
	}
	/* One HELP/TYPE per family, its samples together, in first-seen order. */
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		fprintf(out, "# HELP %s agentrace stats line counter\n# TYPE %s %s\n", v[i].family,
			v[i].family, v[i].gauge ? "gauge" : "counter");
		for (size_t j = i; j < n; j++) {
			if (done[j] || strcmp(v[j].family, v[i].family))
				continue;
			done[j] = true;
			fputs(v[j].family, out);
			if (v[j].reason[0]) {
				fputs("{reason=\"", out);
				put_label(out, v[j].reason);
				fputs("\"}", out);
			}
			fprintf(out, " %" PRIu64 "\n", v[j].value);
		}
	}
	fprintf(out, "# HELP agentrace_build_info agentrace version\n"
		     "# TYPE agentrace_build_info gauge\nagentrace_build_info{version=\"");
	put_label(out, x->version ? x->version : "");
	fputs("\"} 1\n", out);
	fputs("# HELP agentrace_tls_files_attached Files carrying OpenSSL probes now, by library\n"
	      "# TYPE agentrace_tls_files_attached gauge\n", out);
	for (size_t i = 0; i < x->n_libs; i++) {
		fputs("agentrace_tls_files_attached{library=\"", out);
		put_label(out, x->libs[i].name);
		fprintf(out, "\"} %lu\n", x->libs[i].files);
	}
	fprintf(out, "# HELP agentrace_targets_all 1 when every process is traced\n"
		     "# TYPE agentrace_targets_all gauge\nagentrace_targets_all %d\n",
		x->targets < 0);
	if (x->targets >= 0)
		fprintf(out, "# HELP agentrace_targeted_tasks Processes and threads selected for "
			     "tracing now\n# TYPE agentrace_targeted_tasks gauge\n"
			     "agentrace_targeted_tasks %ld\n", x->targets);
	free(done);
	free(v);
	return ferror(out) ? -ENOMEM : 0;
}
