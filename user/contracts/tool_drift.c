// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/hex.h"
#include "common/log.h"
#include "contracts/tool_drift.h"
#include "contracts/names.h"
#include "genai/semconv.h"
#include "sample/rules.h"
#include "tools/names.h"

#define LOGGED_MAX 4096

/* What one tool has returned. */
struct seen {
	char key[TOOL_KEY_MAX];
	bool used, http;
	uint64_t responses;
	uint64_t hashes[CONTRACT_MAX_HASHES];
	size_t n, n_learned;   /* learned: the first n_learned, from the warm-up */
};

struct tool_drift {
	struct contract_set cs;
	bool learning;
	uint32_t warmup;
	struct seen *seen;     /* open addressing, 2 x max slots */
	size_t slots, max;
	uint64_t logged[LOGGED_MAX]; /* (tool, hash) pairs already logged */
	struct tool_drift_stats st;
};

struct tool_drift *tool_drift__new(struct contract_set *cs, uint32_t warmup, size_t max_tools)
{
	struct tool_drift *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->max = max_tools ? max_tools : 1;
	d->slots = d->max * 2;
	d->seen = calloc(d->slots, sizeof(*d->seen));
	if (!d->seen) {
		free(d);
		return NULL;
	}
	d->learning = !cs;
	d->warmup = warmup;
	if (cs) {
		d->cs = *cs;
		memset(cs, 0, sizeof(*cs));
	}
	return d;
}

void tool_drift__free(struct tool_drift *d)
{
	if (!d)
		return;
	contract_set__release(&d->cs);
	free(d->seen);
	free(d);
}

static struct seen *seen_for(struct tool_drift *d, const char *key, bool http)
{
	uint64_t h = XXH3_64bits(key, strlen(key));

	for (size_t i = 0; i < d->slots; i++) {
		struct seen *e = &d->seen[(h + i) % d->slots];

		if (e->used && !strcmp(e->key, key))
			return e;
		if (!e->used) {
			if (d->st.tools == d->max) {
				d->st.tools_untracked++;
				return NULL;
			}
			e->used = true;
			e->http = http;
			snprintf(e->key, sizeof(e->key), "%s", key);
			d->st.tools++;
			return e;
		}
	}
	return NULL;
}

static bool has(const uint64_t *v, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == h)
			return true;
	return false;
}

/* Flags s as drifted from expected[0..n). */
static void flag(struct tool_drift *d, struct span *s, const char *kind, const char *key,
		 const char *version, const uint64_t *expected, size_t n, uint64_t observed)
{
	char obs[17], exp[CONTRACT_MAX_HASHES * 2][17], joined[CONTRACT_MAX_HASHES * 2 * 18 + 1];
	const char *ev[CONTRACT_MAX_HASHES * 2];
	struct span_event *e;
	uint64_t pair = XXH3_64bits_withSeed(key, strlen(key), observed);
	size_t o = 0;

	d->st.drifted++;
	hex__u64(obs, observed);
	for (size_t i = 0; i < n; i++) {
		hex__u64(exp[i], expected[i]);
		ev[i] = exp[i];
		o += snprintf(joined + o, sizeof(joined) - o, "%s%s", i ? "," : "", exp[i]);
	}
	span__set_bool(s, CN_TOOL_SCHEMA_DRIFT, true);
	e = span__add_event(s, CN_EVENT_DRIFT, s->end_ns);
	if (e) {
		attrs__set_str_array(&e->attrs, CN_DRIFT_EXPECTED, ev, n);
		attrs__set_str(&e->attrs, CN_DRIFT_OBSERVED, obs);
		attrs__set_str(&e->attrs, CN_DRIFT_KIND, kind);
		/* a definition or listing names the tool; the metric counts by it */
		if (strcmp(kind, "output"))
			attrs__set_str(&e->attrs, SC_GEN_AI_TOOL_NAME, key);
		if (version)
			attrs__set_str(&e->attrs, CN_TOOL_CONTRACT_VERSION, version);
	}
	if (d->logged[pair % LOGGED_MAX] != pair) {
		d->logged[pair % LOGGED_MAX] = pair;
		warn("tool %s drift: %s%s%s %s %s, expected %s",
		     !strcmp(kind, "output") ? "schema" : kind, key,
		     version ? " contract version " : " (learned)", version ? version : "",
		     !strcmp(kind, "output") ? "returned schema" : "now has", obs, joined);
	}
}

static void tool_drift__check_output(struct tool_drift *d, struct span *s);

static void check_contract(struct tool_drift *d, struct span *s, const char *key, uint64_t h)
{
	uint64_t expected[CONTRACT_MAX_HASHES * 2];
	const struct contract *first = NULL;
	size_t n = 0;

	for (size_t i = 0; i < d->cs.n; i++) {
		const struct contract *c = &d->cs.v[i];

		if (strcmp(c->key, key))
			continue;
		if (has(c->hashes, c->n_hashes, h)) {
			d->st.matched++;
			span__set_str(s, CN_TOOL_CONTRACT_VERSION, c->version);
			span__set_bool(s, CN_TOOL_SCHEMA_DRIFT, false);
			return;
		}
		if (!first)
			first = c;
		for (size_t j = 0; j < c->n_hashes && n < sizeof(expected) / sizeof(expected[0]); j++)
			expected[n++] = c->hashes[j];
	}
	if (!first) {
		d->st.undeclared++;
		return;
	}
	span__set_str(s, CN_TOOL_CONTRACT_VERSION, first->version);
	flag(d, s, "output", key, first->version, expected, n, h);
}

static void check_learned(struct tool_drift *d, struct span *s, struct seen *t, uint64_t h)
{
	if (t->responses <= d->warmup) {
		/* warming up: every structure seen now is the tool's own */
		t->n_learned = t->n;
		d->st.matched++;
		return;
	}
	if (has(t->hashes, t->n_learned, h)) {
		d->st.matched++;
		span__set_bool(s, CN_TOOL_SCHEMA_DRIFT, false);
		return;
	}
	flag(d, s, "output", t->key, NULL, t->hashes, t->n_learned, h);
}

/* "kind:name" into key, cut to fit as snprintf would cut it (this runs
 * for every tool an LLM request offers). */
static void def_key(char *key, size_t size, const char *kind, const char *name, size_t n)
{
	size_t kl = strlen(kind);

	if (kl + 1 >= size) {
		kl = size - 1;
		n = 0;
	} else if (kl + 1 + n >= size) {
		n = size - 1 - kl - 1;
	}
	memcpy(key, kind, kl);
	if (kl < size - 1)
		key[kl++] = ':';
	memcpy(key + kl, name, n);
	key[kl + n] = '\0';
}

/* Per-tool definition hashes ("name=hash"): the tool definitions an LLM
 * request offered (kind "definition", the agent's side) or the schemas an
 * MCP server listed (kind "listed"). The first hash seen for a tool name is
 * its own; a different one later is drift, in either mode. */
static void check_definitions(struct tool_drift *d, struct span *s, const char *attr_key,
			      const char *kind)
{
	const struct attr *a = span__get(s, attr_key);
	char key[TOOL_KEY_MAX];
	size_t pre = strlen(kind) + 1;

	for (size_t i = 0; a && a->type == ATTR_STR_ARRAY && i < a->arr.n; i++) {
		const char *eq = strrchr(a->arr.v[i], '=');
		struct seen *t;
		uint64_t h;

		if (!eq || contract__parse_hash(eq + 1, &h))
			continue;
		def_key(key, sizeof(key), kind, a->arr.v[i], eq - a->arr.v[i]);
		t = seen_for(d, key, false);
		if (!t)
			continue;
		d->st.checked++;
		if (!t->n) {
			t->hashes[t->n++] = h;
			t->n_learned = 1;
		}
		if (has(t->hashes, t->n_learned, h)) {
			d->st.matched++;
			continue;
		}
		flag(d, s, kind, key + pre, NULL, t->hashes, t->n_learned, h);
		/* flag set attributes on s: the list (and a with it) may have moved */
		a = span__get(s, attr_key);
	}
}

void tool_drift__check(struct tool_drift *d, struct span *s)
{
	check_definitions(d, s, CN_TOOL_DEFINITION_HASHES, "definition");
	check_definitions(d, s, CN_TOOL_LISTED_HASHES, "listed");
	tool_drift__check_output(d, s);
}

static void tool_drift__check_output(struct tool_drift *d, struct span *s)
{
	const struct attr *a = span__get(s, TN_TOOL_SCHEMA_HASH);
	char key[TOOL_KEY_MAX];
	enum tool_key_kind kind;
	struct seen *t;
	uint64_t h;

	if (!a || a->type != ATTR_STR || contract__parse_hash(a->s, &h) || rules__failed(s))
		return;
	kind = tool_key__of(s, key, sizeof(key));
	if (kind == TOOL_KEY_NONE)
		return;
	d->st.checked++;
	t = seen_for(d, key, kind == TOOL_KEY_HTTP);
	if (t) {
		t->responses++;
		if (!has(t->hashes, t->n, h) && t->n < CONTRACT_MAX_HASHES)
			t->hashes[t->n++] = h;
	}
	if (!d->learning)
		check_contract(d, s, key, h);
	else if (t)
		check_learned(d, s, t, h);
}

/* A YAML double-quoted scalar. */
static void quoted(FILE *f, const char *s, int n)
{
	fputc('"', f);
	for (int i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int tool_drift__dump(const struct tool_drift *d, FILE *f)
{
	fprintf(f, "# Tool contracts seen by agentrace; review, then pass with --tool-contracts.\n"
		   "tools:\n");
	for (size_t i = 0; i < d->slots; i++) {
		const struct seen *e = &d->seen[i];

		if (!e->used || !strncmp(e->key, "definition:", 11) || !strncmp(e->key, "listed:", 7))
			continue;
		if (e->http) {
			const char *slash = strchr(e->key, '/');
			int hl = slash ? (int)(slash - e->key) : (int)strlen(e->key);

			fputs("  - host: ", f);
			quoted(f, e->key, hl);
			fputs("\n    path: ", f);
			quoted(f, slash ? slash : "/", TOOL_KEY_MAX);
		} else {
			fputs("  - name: ", f);
			quoted(f, e->key, TOOL_KEY_MAX);
		}
		fputc('\n', f);
		fprintf(f, "    version: \"1\"\n    schema_hashes: [");
		for (size_t j = 0; j < e->n; j++)
			fprintf(f, "%s\"%016" PRIx64 "\"", j ? ", " : "", e->hashes[j]);
		fprintf(f, "]\n");
	}
	return ferror(f) ? -EIO : 0;
}

void tool_drift__stats(const struct tool_drift *d, struct tool_drift_stats *out)
{
	*out = d->st;
}
