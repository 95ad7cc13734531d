/* SPDX-License-Identifier: MIT */
/*
 * Every attribute and value name the causal-graph stage emits that
 * genai/semconv.h and tools/names.h do not already spell. The gen_ai agent
 * names follow the GenAI semantic conventions (invoke_agent spans,
 * gen_ai.agent.name, gen_ai.conversation.id); everything the conventions
 * have no name for lives under "agentrace.graph." (docs/attributes.md).
 */
#ifndef AR_GRAPH_NAMES_H
#define AR_GRAPH_NAMES_H

/* GenAI semantic conventions */
#define GN_GEN_AI_AGENT_NAME           "gen_ai.agent.name"
#define GN_GEN_AI_CONVERSATION_ID      "gen_ai.conversation.id"
#define GN_GEN_AI_TOOL_CALL_RESULT     "gen_ai.tool.call.result"
#define GN_OP_INVOKE_AGENT             "invoke_agent"
#define GN_OP_EXECUTE_TOOL             "execute_tool"

/* Ours: per-hop hashes of the normalised messages (16 lowercase hex) */
#define GN_INPUT_HASH                  "agentrace.graph.input.hash"
#define GN_OUTPUT_HASH                 "agentrace.graph.output.hash"

/* Ours: how a turn ended (invoke_agent span) */
#define GN_TURN_END                    "agentrace.graph.turn.end"
#define GN_TURN_LLM_CALLS              "agentrace.graph.turn.llm_calls"
#define GN_TURN_TOOL_CALLS             "agentrace.graph.turn.tool_calls"
#define GN_END_FINAL_ANSWER            "final_answer"
#define GN_END_NEW_USER_MESSAGE        "new_user_message"
#define GN_END_IDLE_TIMEOUT            "idle_timeout"
#define GN_END_EVICTED                 "evicted"
#define GN_END_SHUTDOWN                "shutdown"

/* Ours: which rule made a call the child of an execute_tool span */
#define GN_TOOL_MATCH                  "agentrace.graph.tool.match"
#define GN_MATCH_MCP_TOOL_NAME         "mcp_tool_name"
#define GN_MATCH_ARGUMENT_VALUES       "argument_values"
#define GN_MATCH_ORDER                 "order"

/* Ours: tool-result drift (execute_tool span) */
#define GN_DRIFT                       "agentrace.graph.drift"
#define GN_DRIFT_SHARE                 "agentrace.graph.drift.share"
#define GN_DRIFT_UNCHANGED             "unchanged"
#define GN_DRIFT_TRANSFORMED           "transformed"
#define GN_DRIFT_TRUNCATED             "truncated"

/* Ours: sub-agent hand-off (the sub-agent's SERVER span): how much of the
 * request's payload reached its first LLM input; values as GN_DRIFT_* */
#define GN_HANDOFF                     "agentrace.graph.handoff"
#define GN_HANDOFF_SHARE               "agentrace.graph.handoff.share"

/* Ours: agentrace.parent.source values (trace/semconv.h) for spans the
 * graph placed */
#define GN_PARENT_AGENT_TURN           "agent_turn"
#define GN_PARENT_TOOL_WINDOW          "execute_tool"

/* error.type of a tool call whose result never came back */
#define GN_ERR_NOT_EXECUTED            "tool_not_executed"

#endif
