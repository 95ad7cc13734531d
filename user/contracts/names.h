/* SPDX-License-Identifier: MIT */
/* Tool contract and schema drift attribute and event names (ours). */
#ifndef AR_CONTRACTS_NAMES_H
#define AR_CONTRACTS_NAMES_H

#define CN_TOOL_CONTRACT_VERSION   "tool.contract.version"
#define CN_TOOL_SCHEMA_DRIFT       "tool.schema.drift"
#define CN_TOOL_DEFINITIONS_HASH   "gen_ai.tool.definitions.hash"
#define CN_TOOL_DEFINITIONS        "gen_ai.tool.definitions"
/* the span event drift adds, and its attributes */
#define CN_EVENT_DRIFT             "tool.schema.drift"
#define CN_DRIFT_EXPECTED          "tool.schema.expected_hashes"
#define CN_DRIFT_OBSERVED          "tool.schema.observed_hash"
#define CN_DRIFT_KIND              "tool.schema.drift.kind" /* output | input | definition */

#endif
