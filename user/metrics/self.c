// SPDX-License-Identifier: MIT
/* Self-metrics: the stats lines, parsed into observed counters. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/levels.h"
#include "metrics/names.h"
#include "metrics/self.h"

#define SELF_MAX 256 /* distinct counters; more are ignored */

struct self_inst {
	struct minst inst;
	char name[96];
};

struct self_metrics {
	struct self_inst v[SELF_MAX];
	size_t n;
};

struct self_metrics *self_metrics__new(void)
{
	return calloc(1, sizeof(struct self_metrics));
}

void self_metrics__free(struct self_metrics *sm)
{
	free(sm);
}

static const struct minst *inst_for(struct self_metrics *sm, const char *stage, const char *key)
{
	char name[96];

	snprintf(name, sizeof(name), MN_SELF_PREFIX "%s.%s", stage, key);
	for (size_t i = 0; i < sm->n; i++)
		if (!strcmp(sm->v[i].name, name))
			return &sm->v[i].inst;
	if (sm->n == SELF_MAX)
		return NULL;
	struct self_inst *si = &sm->v[sm->n++];

	snprintf(si->name, sizeof(si->name), "%s", name);
	si->inst.name = si->name;
	si->inst.unit = "1";
	si->inst.desc = "agentrace internal counter";
	si->inst.kind = stats_level__is(stage, key) ? MINST_GAUGE : MINST_SUM;
	return &si->inst;
}

void self_metrics__observe(struct self_metrics *sm, struct mstore *st, const char *text)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[2048], stage[48], *p, *tok, *save = NULL;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl ? nl + 1 : NULL;
		p = strchr(buf, ':');
		if (!p || (size_t)(p - buf) >= sizeof(stage) || p == buf)
			continue;
		memcpy(stage, buf, (size_t)(p - buf));
		stage[p - buf] = '\0';
		if (strspn(stage, "abcdefghijklmnopqrstuvwxyz_") != strlen(stage))
			continue;
		for (tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(tok, '='), *end;
			const struct minst *in;
			long long v;

			if (!eq || eq == tok)
				continue;
			*eq = '\0';
			errno = 0;
			v = strtoll(eq + 1, &end, 10);
			if (errno || *end || end == eq + 1)
				continue;
			in = inst_for(sm, stage, tok);
			if (in)
				mstore__observe(st, in, NULL, v);
		}
	}
}
