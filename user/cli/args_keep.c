// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/args_keep.h"
#include "sample/rules.h"

enum { OPT_SAMPLE_RATE = 2000, OPT_SAMPLE_CONFIG, OPT_SAMPLE_SETTLE, OPT_RULE_OFF, OPT_CONTRACTS,
       OPT_FROM, OPT_TOKEN_BUDGET, OPT_SLOW_K };

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Sampling and tool contracts:", 5 },
	{ "sample-rate", OPT_SAMPLE_RATE, "P", 0, "Tail sampling: keep traces no rule keeps with probability P, 0..1 (default 1: no sampling)", 5 },
	{ "sample-config", OPT_SAMPLE_CONFIG, "FILE", 0, "Tail sampling rules, budgets and thresholds (JSON or YAML; see docs/sampling.md)", 5 },
	{ "sample-settle-ms", OPT_SAMPLE_SETTLE, "MS", 0, "Wait MS after a trace's root ends before deciding (default 2000)", 5 },
	{ "sample-rule-off", OPT_RULE_OFF, "RULE", 0, "Switch a keep rule off: finish_reason, error, slow_tool, token_budget, schema_drift, fallback (repeatable)", 5 },
	{ "sample-token-budget", OPT_TOKEN_BUDGET, "N", 0, "Keep a trace whose gen_ai.usage tokens exceed N (default: off; per tenant: --sample-config)", 5 },
	{ "sample-slow-k", OPT_SLOW_K, "K", 0, "Keep a trace with a tool slower than K x its learned p99 (default 3; per tool: --sample-config)", 5 },
	{ "tool-contracts", OPT_CONTRACTS, "FILE", 0, "Tool contracts (JSON or YAML): declared versions and schema hashes", 5 },
	{ "from", OPT_FROM, "FILE", 0, "contracts: the capture file to learn tool contracts from", 5 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct cli_opts *o = st->input;
	char *end;
	double d;
	long n;

	switch (key) {
	case OPT_SAMPLE_RATE:
		errno = 0;
		d = strtod(arg, &end);
		if (errno || *end || !*arg || d < 0 || d > 1)
			argp_error(st, "--sample-rate must be a number from 0 to 1, got '%s'", arg);
		o->sample_rate = d;
		break;
	case OPT_SAMPLE_CONFIG: o->sample_config = arg; break;
	case OPT_SAMPLE_SETTLE:
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || !*arg || n < 0 || n > 600000)
			argp_error(st, "--sample-settle-ms must be a number from 0 to 600000");
		o->sample_settle_ms = (int)n;
		break;
	case OPT_RULE_OFF:
		if (sample_rule__parse(arg) < 0)
			argp_error(st, "--sample-rule-off: unknown rule '%s'", arg);
		if (o->n_sample_rules_off == sizeof(o->sample_rules_off) / sizeof(o->sample_rules_off[0]))
			argp_error(st, "too many --sample-rule-off");
		o->sample_rules_off[o->n_sample_rules_off++] = arg;
		break;
	case OPT_TOKEN_BUDGET:
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || !*arg || n < 1)
			argp_error(st, "--sample-token-budget must be a positive number of tokens, got '%s'",
				   arg);
		o->sample_token_budget = n;
		break;
	case OPT_SLOW_K:
		errno = 0;
		d = strtod(arg, &end);
		if (errno || *end || !*arg || !(d >= 1 && d <= 1000))
			argp_error(st, "--sample-slow-k must be a number from 1 to 1000, got '%s'", arg);
		o->sample_slow_k = d;
		break;
	case OPT_CONTRACTS: o->tool_contracts = arg; break;
	case OPT_FROM:
		if (o->mode != CLI_CONTRACTS)
			argp_error(st, "--from belongs to `agentrace contracts`");
		o->input = arg;
		break;
	case ARGP_KEY_END:
		if (o->mode == CLI_CONTRACTS && !o->input)
			argp_error(st, "contracts needs --from CAPTURE_FILE");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_keep_argp = { options, parse_opt, NULL, NULL, NULL, NULL, NULL };
