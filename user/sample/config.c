// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jyaml.h"
#include "sample/config.h"
#include "sample/rules.h"

void sample_cfg__init(struct sample_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->rate = 1.0;
	c->slow_k = 3.0;
	c->slow_min_samples = 20;
	c->settle_ms = 2000;
	c->max_wait_ms = 10000;
	c->max_spans = 100000;
	c->max_bytes = 64u << 20;
	c->max_tools = 1024;
	c->max_decided = 16384;
}

void sample_cfg__release(struct sample_cfg *c)
{
	free(c->tenants);
	free(c->tools);
	c->tenants = NULL;
	c->tools = NULL;
	c->n_tenants = c->n_tools = 0;
}

/* Reads a number in [lo, hi] at key into *out if present. */
static int num(const json_t *o, const char *key, double lo, double hi, double *out, char *err,
	       size_t errsz)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return 1;
	if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
		snprintf(err, errsz, "%s must be a number from %g to %g", key, lo, hi);
		return -EINVAL;
	}
	*out = json_number_value(v);
	return 0;
}

static int rules_obj(struct sample_cfg *c, const json_t *o, char *err, size_t errsz)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o)) {
		snprintf(err, errsz, "rules must be a mapping of rule name to true/false");
		return -EINVAL;
	}
	json_object_foreach((json_t *)o, k, v) {
		int r = sample_rule__parse(k);

		if (r < 0 || !json_is_boolean(v)) {
			snprintf(err, errsz,
				 "rules.%s: expected one of finish_reason, error, slow_tool, "
				 "token_budget, schema_drift, fallback set to true or false", k);
			return -EINVAL;
		}
		if (json_is_true(v))
			c->rules_off &= ~(1u << r);
		else
			c->rules_off |= 1u << r;
	}
	return 0;
}

static int tenants_obj(struct sample_cfg *c, const json_t *o, char *err, size_t errsz)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	if (!json_is_object(o)) {
		snprintf(err, errsz, "tenant_budgets must be a mapping of tenant to tokens");
		return -EINVAL;
	}
	free(c->tenants);
	c->n_tenants = 0;
	c->tenants = calloc(json_object_size(o) + 1, sizeof(*c->tenants));
	if (!c->tenants)
		return -ENOMEM;
	json_object_foreach((json_t *)o, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    strlen(k) >= sizeof(c->tenants[0].tenant) || !k[0]) {
			snprintf(err, errsz, "tenant_budgets.%s must be a positive integer "
				 "(tenant names up to 63 bytes)", k);
			return -EINVAL;
		}
		snprintf(c->tenants[i].tenant, sizeof(c->tenants[i].tenant), "%s", k);
		c->tenants[i++].tokens = json_integer_value(v);
	}
	c->n_tenants = i;
	return 0;
}

static int tools_obj(struct sample_cfg *c, const json_t *o, char *err, size_t errsz)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	if (!json_is_object(o)) {
		snprintf(err, errsz, "tools must be a mapping of tool key to {k, max_ms}");
		return -EINVAL;
	}
	free(c->tools);
	c->n_tools = 0;
	c->tools = calloc(json_object_size(o) + 1, sizeof(*c->tools));
	if (!c->tools)
		return -ENOMEM;
	json_object_foreach((json_t *)o, k, v) {
		struct sample_tool_cfg *t = &c->tools[i];
		double kk = 0, ms = 0;
		const char *f;
		json_t *fv;

		if (!json_is_object(v) || strlen(k) >= sizeof(t->key) || !k[0]) {
			snprintf(err, errsz, "tools.%s must be a mapping with k and/or max_ms", k);
			return -EINVAL;
		}
		json_object_foreach(v, f, fv) {
			if (strcmp(f, "k") && strcmp(f, "max_ms")) {
				snprintf(err, errsz, "tools.%s.%s: unknown key (k, max_ms)", k, f);
				return -EINVAL;
			}
		}
		if (num(v, "k", 1, 1000, &kk, err, errsz) < 0 ||
		    num(v, "max_ms", 1, 86400000, &ms, err, errsz) < 0)
			return -EINVAL;
		snprintf(t->key, sizeof(t->key), "%s", k);
		t->k = kk;
		t->max_ns = (uint64_t)(ms * 1e6);
		i++;
	}
	c->n_tools = i;
	return 0;
}

int sample_cfg__apply(struct sample_cfg *c, const json_t *root, char *err, size_t errsz)
{
	static const char *const known[] = {
		"sample_rate", "rules", "slow_tool_k", "slow_tool_min_samples", "token_budget",
		"tenant_budgets", "tools", "settle_ms", "max_wait_ms", "max_spans", "max_bytes",
	};
	const char *k;
	json_t *v;
	double d;
	int err_;

	if (!json_is_object(root)) {
		snprintf(err, errsz, "the top level must be a mapping");
		return -EINVAL;
	}
	json_object_foreach((json_t *)root, k, v) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(k, known[i]))
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errsz, "unknown key %s", k);
			return -EINVAL;
		}
	}
#define NUM(key, lo, hi, dst)                                           \
	do {                                                            \
		err_ = num(root, key, lo, hi, &d, err, errsz);          \
		if (err_ < 0)                                           \
			return err_;                                    \
		if (err_ == 0)                                          \
			dst = (__typeof__(dst))d;                       \
	} while (0)
	NUM("sample_rate", 0, 1, c->rate);
	NUM("slow_tool_k", 1, 1000, c->slow_k);
	NUM("slow_tool_min_samples", 1, 100000, c->slow_min_samples);
	NUM("token_budget", 0, 1e15, c->token_budget);
	NUM("settle_ms", 0, 600000, c->settle_ms);
	NUM("max_wait_ms", 1, 3600000, c->max_wait_ms);
	NUM("max_spans", 1, 1e8, c->max_spans);
	NUM("max_bytes", 4096, 1e11, c->max_bytes);
#undef NUM
	if ((v = json_object_get(root, "rules")) && (err_ = rules_obj(c, v, err, errsz)))
		return err_;
	if ((v = json_object_get(root, "tenant_budgets")) && (err_ = tenants_obj(c, v, err, errsz)))
		return err_;
	if ((v = json_object_get(root, "tools")) && (err_ = tools_obj(c, v, err, errsz)))
		return err_;
	return 0;
}

int sample_cfg__load(struct sample_cfg *c, const char *path, char *err, size_t errsz)
{
	json_t *root = jyaml__load_file(path, err, errsz);
	int ret;

	if (!root)
		return -EINVAL;
	ret = sample_cfg__apply(c, root, err, errsz);
	json_decref(root);
	return ret;
}

int64_t sample_cfg__budget(const struct sample_cfg *c, const char *tenant)
{
	for (size_t i = 0; tenant && tenant[0] && i < c->n_tenants; i++)
		if (!strcmp(c->tenants[i].tenant, tenant))
			return c->tenants[i].tokens;
	return c->token_budget;
}

const struct sample_tool_cfg *sample_cfg__tool(const struct sample_cfg *c, const char *key)
{
	for (size_t i = 0; i < c->n_tools; i++)
		if (!strcmp(c->tools[i].key, key))
			return &c->tools[i];
	return NULL;
}
