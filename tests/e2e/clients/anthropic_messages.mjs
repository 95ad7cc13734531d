// SPDX-License-Identifier: MIT
// Anthropic Messages API via the official SDK.
// usage: node anthropic_messages.mjs --base https://127.0.0.1:PORT [--key K]
//   [--mode nonstream,stream,tool,tool_stream,tool_result | all] [--max-tokens N]
import Anthropic from '@anthropic-ai/sdk';
import { clientArgs, runSteps, WEATHER_SCHEMA } from './_common.mjs';

const a = clientArgs({}, { model: 'claude-haiku-4-5', key: 'sk-ant-api03-e2eTESTkey0123456789abcdef' });
const client = new Anthropic({
  apiKey: a.key, baseURL: a.base, maxRetries: a.retries, defaultHeaders: a.headers,
});
const tools = [{ name: 'get_weather', description: 'Weather for a city',
  input_schema: WEATHER_SCHEMA }];
const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
const base = { model: a.model, max_tokens: a.maxTokens ?? 1024, messages };

function summary(m) {
  return {
    id: m.id, model: m.model, stop_reason: m.stop_reason, usage: m.usage,
    text: m.content.filter((c) => c.type === 'text').map((c) => c.text).join('') || null,
    tool_calls: m.content.filter((c) => c.type === 'tool_use').map((c) => ({
      id: c.id, name: c.name, input: c.input })),
  };
}

async function streamed(params) {
  const s = client.messages.stream(params);
  let events = 0;
  s.on('streamEvent', () => { events++; });
  const m = await s.finalMessage();
  return { ...summary(m), events };
}

await runSteps('anthropic_messages', a.mode, {
  nonstream: async () => summary(await client.messages.create(base)),
  stream: () => streamed(base),
  tool: async () => summary(await client.messages.create({ ...base, tools })),
  tool_stream: () => streamed({ ...base, tools }),
  tool_result: async () => {
    const first = await client.messages.create({ ...base, tools });
    const call = first.content.find((c) => c.type === 'tool_use');
    const r = await client.messages.create({ ...base, tools, messages: [
      ...messages, { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id,
        content: '{"temp_c":21}' }] }] });
    return { first: summary(first), ...summary(r) };
  },
});
