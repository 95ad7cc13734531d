// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sample/p99.h"
#include "sample/sampler.h"
#include "tools/tool_key.h"

#define HELD_BUCKETS 4096
#define MS 1000000ull

/* One trace being held. */
struct held {
	uint8_t tid[16];
	struct held *hnext;            /* hash chain */
	struct held *older, *newer;    /* arrival order */
	struct span **spans;
	size_t n, cap, bytes;
	uint64_t first, due;           /* monotonic ns */
	struct span *root;             /* the first local root, borrowed from spans */
	struct rules_trace rt;
};

/* A remembered decision (direct-mapped: a collision forgets the older). */
struct decided {
	uint8_t tid[16];
	bool used, kept;
};

struct sampler {
	struct sample_cfg cfg;
	sampler_emit_fn emit;
	void *ctx;
	struct held *tab[HELD_BUCKETS];
	struct held *oldest, *newest;
	struct decided *decided;
	struct p99_table *p99;
	struct sampler_stats st;
};

bool sampler__keep_by_id(const uint8_t tid[16], double rate)
{
	uint64_t r = 0, threshold;

	if (rate >= 1.0)
		return true;
	if (rate <= 0.0)
		return false;
	/* W3C trace ids carry 56 random bits at the end. */
	for (int i = 9; i < 16; i++)
		r = r << 8 | tid[i];
	threshold = (uint64_t)((1.0 - rate) * (double)(1ull << 56));
	return r >= threshold;
}

static uint64_t tid_hash(const uint8_t tid[16])
{
	return XXH3_64bits(tid, 16);
}

struct sampler *sampler__new(const struct sample_cfg *cfg, sampler_emit_fn emit, void *ctx)
{
	struct sampler *sm = calloc(1, sizeof(*sm));

	if (!sm)
		return NULL;
	sm->cfg = *cfg;
	sm->cfg.tenants = NULL;
	sm->cfg.tools = NULL;
	sm->cfg.n_tenants = sm->cfg.n_tools = 0;
	sm->emit = emit;
	sm->ctx = ctx;
	if (cfg->n_tenants) {
		sm->cfg.tenants = malloc(cfg->n_tenants * sizeof(*cfg->tenants));
		if (!sm->cfg.tenants)
			goto fail;
		memcpy(sm->cfg.tenants, cfg->tenants, cfg->n_tenants * sizeof(*cfg->tenants));
		sm->cfg.n_tenants = cfg->n_tenants;
	}
	if (cfg->n_tools) {
		sm->cfg.tools = malloc(cfg->n_tools * sizeof(*cfg->tools));
		if (!sm->cfg.tools)
			goto fail;
		memcpy(sm->cfg.tools, cfg->tools, cfg->n_tools * sizeof(*cfg->tools));
		sm->cfg.n_tools = cfg->n_tools;
	}
	if (!sm->cfg.max_decided)
		sm->cfg.max_decided = 1;
	sm->decided = calloc(sm->cfg.max_decided, sizeof(*sm->decided));
	sm->p99 = p99_table__new(cfg->max_tools);
	if (!sm->decided || !sm->p99)
		goto fail;
	return sm;
fail:
	sample_cfg__release(&sm->cfg);
	free(sm->decided);
	p99_table__free(sm->p99);
	free(sm);
	return NULL;
}

static struct held *find(struct sampler *sm, const uint8_t tid[16])
{
	struct held *h = sm->tab[tid_hash(tid) % HELD_BUCKETS];

	while (h && memcmp(h->tid, tid, 16))
		h = h->hnext;
	return h;
}

static void unlink_held(struct sampler *sm, struct held *h)
{
	struct held **pp = &sm->tab[tid_hash(h->tid) % HELD_BUCKETS];

	while (*pp != h)
		pp = &(*pp)->hnext;
	*pp = h->hnext;
	if (h->older)
		h->older->newer = h->newer;
	else
		sm->oldest = h->newer;
	if (h->newer)
		h->newer->older = h->older;
	else
		sm->newest = h->older;
	sm->st.held_traces--;
	sm->st.held_spans -= h->n;
	sm->st.held_bytes -= h->bytes;
}

/* Writes the rules that kept the trace, and its token total, on its root. */
static void tag_root(struct held *h, uint32_t rules)
{
	const char *names[RULE__COUNT + 1];
	struct span *root = h->root ? h->root : h->spans[0];
	size_t n = 0;

	for (int r = 0; r < RULE__COUNT; r++)
		if (rules & (1u << r))
			names[n++] = sample_rule__name(r);
	if (!n)
		names[n++] = sample_rule__name(RULE_PROBABILITY);
	/* -ENOMEM only loses the annotation, not the trace */
	attrs__set_str_array(&root->attrs, SAMPLING_RULES_ATTR, names, n);
	if (h->rt.tokens > 0)
		attrs__set_int(&root->attrs, SAMPLING_TOKENS_ATTR, h->rt.tokens);
}

static void remember(struct sampler *sm, const uint8_t tid[16], bool kept)
{
	struct decided *d = &sm->decided[tid_hash(tid) % sm->cfg.max_decided];

	memcpy(d->tid, tid, 16);
	d->used = true;
	d->kept = kept;
}

static void emit(struct sampler *sm, struct span *s)
{
	sm->st.spans_kept++;
	if (sm->emit(sm->ctx, s))
		sm->st.emit_failed++;
}

/* Decides h whole, emits or frees its spans, and frees h. */
static void decide(struct sampler *sm, struct held *h)
{
	uint32_t rules = rules__trace_end(&h->rt, sample_cfg__budget(&sm->cfg, h->rt.tenant));
	bool keep;

	rules &= ~sm->cfg.rules_off;
	keep = rules || sampler__keep_by_id(h->tid, sm->cfg.rate);
	unlink_held(sm, h);
	remember(sm, h->tid, keep);
	if (keep) {
		sm->st.traces_kept++;
		for (int r = 0; r < RULE__COUNT; r++)
			if (rules & (1u << r))
				sm->st.kept_by[r]++;
		if (!rules)
			sm->st.kept_by[RULE_PROBABILITY]++;
		tag_root(h, rules);
		for (size_t i = 0; i < h->n; i++)
			emit(sm, h->spans[i]);
	} else {
		sm->st.traces_dropped++;
		sm->st.spans_dropped += h->n;
		for (size_t i = 0; i < h->n; i++)
			span__free(h->spans[i]);
	}
	free(h->spans);
	free(h);
}

/* The slow-tool rule, then learning from this call. */
static void slow_tool(struct sampler *sm, struct held *h, const struct span *s)
{
	char key[TOOL_KEY_MAX];
	const struct sample_tool_cfg *tc;
	uint64_t dur, p99;
	uint32_t n;
	double k = sm->cfg.slow_k;

	if (tool_key__of(s, key, sizeof(key)) == TOOL_KEY_NONE || s->end_ns < s->start_ns)
		return;
	dur = s->end_ns - s->start_ns;
	tc = sample_cfg__tool(&sm->cfg, key);
	if (tc && tc->k > 0)
		k = tc->k;
	p99 = p99_table__get(sm->p99, key, sm->cfg.slow_min_samples, &n);
	if ((tc && tc->max_ns && dur > tc->max_ns) || (p99 && (double)dur > k * (double)p99))
		h->rt.rules |= 1u << RULE_SLOW_TOOL;
	p99_table__add(sm->p99, key, dur);
}

/* Decides the oldest traces until the buffer is within its caps. */
static void enforce_caps(struct sampler *sm)
{
	while (sm->oldest && (sm->st.held_spans > sm->cfg.max_spans ||
			      sm->st.held_bytes > sm->cfg.max_bytes)) {
		sm->st.overflow_decisions++;
		decide(sm, sm->oldest);
	}
}

void sampler__submit(struct sampler *sm, struct span *s, uint64_t now)
{
	struct held *h = find(sm, s->trace_id);
	size_t bytes = span__bytes(s);

	if (!h) {
		struct decided *d = &sm->decided[tid_hash(s->trace_id) % sm->cfg.max_decided];

		if (d->used && !memcmp(d->tid, s->trace_id, 16)) {
			/* its trace was decided already: follow that decision */
			sm->st.late_spans++;
			if (d->kept) {
				emit(sm, s);
			} else {
				sm->st.spans_dropped++;
				span__free(s);
			}
			return;
		}
		h = calloc(1, sizeof(*h));
		if (!h) {
			/* cannot hold it: keep it rather than go blind */
			emit(sm, s);
			return;
		}
		memcpy(h->tid, s->trace_id, 16);
		h->first = now;
		h->due = now + (uint64_t)sm->cfg.max_wait_ms * MS;
		h->hnext = sm->tab[tid_hash(h->tid) % HELD_BUCKETS];
		sm->tab[tid_hash(h->tid) % HELD_BUCKETS] = h;
		h->older = sm->newest;
		if (sm->newest)
			sm->newest->newer = h;
		else
			sm->oldest = h;
		sm->newest = h;
		sm->st.held_traces++;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 4;
		struct span **v = realloc(h->spans, cap * sizeof(*v));

		if (!v) {
			emit(sm, s);
			return;
		}
		h->spans = v;
		h->cap = cap;
	}
	h->spans[h->n++] = s;
	h->bytes += bytes;
	sm->st.held_spans++;
	sm->st.held_bytes += bytes;
	rules__span(&h->rt, s);
	slow_tool(sm, h, s);
	if (rules__is_root(s)) {
		if (!h->root)
			h->root = s;
		/* the root ended: wait settle_ms for stragglers */
		h->due = now + (uint64_t)sm->cfg.settle_ms * MS;
	}
	enforce_caps(sm);
}

void sampler__tick(struct sampler *sm, uint64_t now)
{
	struct held *h = sm->oldest, *next;

	for (; h; h = next) {
		next = h->newer;
		if (h->due <= now)
			decide(sm, h);
	}
}

void sampler__flush(struct sampler *sm)
{
	while (sm->oldest)
		decide(sm, sm->oldest);
}

void sampler__stats(const struct sampler *sm, struct sampler_stats *out)
{
	*out = sm->st;
	out->tools_tracked = p99_table__tools(sm->p99);
	out->tools_evicted = p99_table__evicted(sm->p99);
}

void sampler__free(struct sampler *sm)
{
	if (!sm)
		return;
	sampler__flush(sm);
	free(sm->decided);
	p99_table__free(sm->p99);
	sample_cfg__release(&sm->cfg);
	free(sm);
}
