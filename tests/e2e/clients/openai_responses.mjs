// SPDX-License-Identifier: MIT
// OpenAI Responses API via the official SDK.
// usage: node openai_responses.mjs --base https://127.0.0.1:PORT/v1 [--key K]
//   [--mode nonstream,stream,tool,tool_stream | all] [--max-tokens N] [--header k:v]
import OpenAI from 'openai';
import { clientArgs, runSteps, WEATHER_SCHEMA } from './_common.mjs';

const a = clientArgs({}, { model: 'gpt-4.1-mini' });
const client = new OpenAI({
  apiKey: a.key, baseURL: a.base, maxRetries: a.retries, defaultHeaders: a.headers,
});
const tools = [{ type: 'function', name: 'get_weather', description: 'Weather for a city',
  parameters: WEATHER_SCHEMA, strict: false }];
const base = { model: a.model, input: 'What is the weather in Paris?',
  ...(a.maxTokens ? { max_output_tokens: a.maxTokens } : {}) };

function summary(r) {
  return {
    id: r.id, model: r.model, status: r.status,
    incomplete_reason: r.incomplete_details?.reason ?? null,
    usage: r.usage ?? null,
    text: r.output.filter((o) => o.type === 'message').flatMap((o) => o.content)
      .filter((c) => c.type === 'output_text').map((c) => c.text).join('') || null,
    tool_calls: r.output.filter((o) => o.type === 'function_call').map((o) => ({
      id: o.call_id, name: o.name, arguments: o.arguments })),
  };
}

async function streamed(params) {
  const s = await client.responses.create({ ...params, stream: true });
  const types = [];
  let final = null, error = null;
  for await (const ev of s) {
    types.push(ev.type);
    if (['response.completed', 'response.incomplete', 'response.failed'].includes(ev.type)) {
      final = ev.response;
    }
    if (ev.type === 'error') error = ev;
  }
  return { ...(final ? summary(final) : {}), events: types.length,
           last_event: types.at(-1) ?? null, stream_error: error };
}

await runSteps('openai_responses', a.mode, {
  nonstream: async () => summary(await client.responses.create(base)),
  stream: () => streamed(base),
  tool: async () => summary(await client.responses.create({ ...base, tools })),
  tool_stream: () => streamed({ ...base, tools }),
});
