/* SPDX-License-Identifier: MIT */
/*
 * Every attribute, event and value name the gen_ai stage emits, after the
 * OpenTelemetry GenAI semantic conventions v1.41 (model/gen-ai/registry.yaml
 * and the generated opentelemetry-js incubating constants). No other file
 * spells these strings.
 */
#ifndef AR_GENAI_SEMCONV_H
#define AR_GENAI_SEMCONV_H

/* gen_ai.* registry */
#define SC_GEN_AI_OPERATION_NAME          "gen_ai.operation.name"
#define SC_GEN_AI_PROVIDER_NAME           "gen_ai.provider.name"
#define SC_GEN_AI_REQUEST_MODEL           "gen_ai.request.model"
#define SC_GEN_AI_REQUEST_TEMPERATURE     "gen_ai.request.temperature"
#define SC_GEN_AI_REQUEST_TOP_P           "gen_ai.request.top_p"
#define SC_GEN_AI_REQUEST_TOP_K           "gen_ai.request.top_k"
#define SC_GEN_AI_REQUEST_MAX_TOKENS      "gen_ai.request.max_tokens"
#define SC_GEN_AI_REQUEST_SEED            "gen_ai.request.seed"
#define SC_GEN_AI_REQUEST_STOP_SEQUENCES  "gen_ai.request.stop_sequences"
#define SC_GEN_AI_REQUEST_CHOICE_COUNT    "gen_ai.request.choice.count"
#define SC_GEN_AI_REQUEST_FREQUENCY_PENALTY "gen_ai.request.frequency_penalty"
#define SC_GEN_AI_REQUEST_PRESENCE_PENALTY "gen_ai.request.presence_penalty"
#define SC_GEN_AI_REQUEST_ENCODING_FORMATS "gen_ai.request.encoding_formats"
#define SC_GEN_AI_REQUEST_STREAM          "gen_ai.request.stream"
#define SC_GEN_AI_EMBEDDINGS_DIMENSION_COUNT "gen_ai.embeddings.dimension.count"
#define SC_GEN_AI_RESPONSE_ID             "gen_ai.response.id"
#define SC_GEN_AI_RESPONSE_MODEL          "gen_ai.response.model"
#define SC_GEN_AI_RESPONSE_FINISH_REASONS "gen_ai.response.finish_reasons"
#define SC_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK "gen_ai.response.time_to_first_chunk"
#define SC_GEN_AI_USAGE_INPUT_TOKENS      "gen_ai.usage.input_tokens"
#define SC_GEN_AI_USAGE_OUTPUT_TOKENS     "gen_ai.usage.output_tokens"
#define SC_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS "gen_ai.usage.cache_read.input_tokens"
#define SC_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS "gen_ai.usage.cache_creation.input_tokens"
#define SC_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS "gen_ai.usage.reasoning.output_tokens"
#define SC_GEN_AI_INPUT_MESSAGES          "gen_ai.input.messages"
#define SC_GEN_AI_OUTPUT_MESSAGES         "gen_ai.output.messages"
#define SC_GEN_AI_SYSTEM_INSTRUCTIONS     "gen_ai.system_instructions"
#define SC_GEN_AI_TOOL_NAME               "gen_ai.tool.name"
#define SC_GEN_AI_TOOL_CALL_ID            "gen_ai.tool.call.id"
#define SC_GEN_AI_TOOL_TYPE               "gen_ai.tool.type"
#define SC_GEN_AI_TOOL_CALL_ARGUMENTS     "gen_ai.tool.call.arguments"

/* general registry */
#define SC_ERROR_TYPE                     "error.type"
#define SC_SERVER_ADDRESS                 "server.address"
#define SC_SERVER_PORT                    "server.port"
#define SC_HTTP_RESPONSE_STATUS_CODE      "http.response.status_code"

/* gen_ai.operation.name values */
#define SC_OP_CHAT                        "chat"
#define SC_OP_TEXT_COMPLETION             "text_completion"
#define SC_OP_EMBEDDINGS                  "embeddings"
#define SC_OP_GENERATE_CONTENT            "generate_content"

/* gen_ai.provider.name values */
#define SC_PROVIDER_OPENAI                "openai"
#define SC_PROVIDER_ANTHROPIC             "anthropic"
#define SC_PROVIDER_GCP_GEMINI            "gcp.gemini"
#define SC_PROVIDER_GCP_VERTEX_AI         "gcp.vertex_ai"
#define SC_PROVIDER_AZURE_OPENAI          "azure.ai.openai"
#define SC_PROVIDER_AWS_BEDROCK           "aws.bedrock"
/* Not a well-known value in the registry (which allows custom ones):
 * Ollama's native API and its OpenAI-compatible /v1 paths. */
#define SC_PROVIDER_OLLAMA                "ollama"

/* gen_ai.tool.type value for client-side function tools */
#define SC_TOOL_TYPE_FUNCTION             "function"

/*
 * Not defined by the conventions (they have no span event for a tool call
 * the model requested); our own name, one event per requested call.
 */
#define SC_EVENT_TOOL_CALL                "gen_ai.tool.call"

/* error.type values of our own (low cardinality, as the spec asks) */
#define SC_ERR_STREAM_INCOMPLETE          "stream_incomplete"
#define SC_ERR_RESPONSE_INCOMPLETE        "response_incomplete"
#define SC_ERR_NO_RESPONSE                "no_response"
#define SC_ERR_OTHER                      "_OTHER"
/* an error reported inside a 200 stream with no type of its own */
#define SC_ERR_STREAM_ERROR               "error"

#endif
