// SPDX-License-Identifier: MIT
// OpenAI Chat Completions (+ legacy completions, embeddings) via the official
// SDK. usage: node openai_chat.mjs --base https://127.0.0.1:PORT/v1 [--key K]
//   [--mode nonstream,stream,tool,tool_stream,tool_result,completions,
//    completions_stream,embeddings | all] [--model M] [--header k:v]...
import OpenAI from 'openai';
import { clientArgs, runSteps, WEATHER_SCHEMA } from './_common.mjs';

const a = clientArgs({}, { model: 'gpt-4o-mini' });
const client = new OpenAI({
  apiKey: a.key, baseURL: a.base, maxRetries: a.retries, defaultHeaders: a.headers,
});
const tools = [{ type: 'function', function: {
  name: 'get_weather', description: 'Weather for a city', parameters: WEATHER_SCHEMA } }];
const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
const lim = a.maxTokens ? { max_completion_tokens: a.maxTokens } : {};

function fromCompletion(r) {
  return {
    id: r.id, model: r.model,
    finish_reasons: r.choices.map((c) => c.finish_reason),
    usage: r.usage ?? null,
    text: r.choices[0]?.message?.content ?? null,
    tool_calls: (r.choices[0]?.message?.tool_calls ?? []).map((t) => ({
      id: t.id, name: t.function.name, arguments: t.function.arguments })),
  };
}

async function streamed(params) {
  const s = await client.chat.completions.create({
    ...params, stream: true, stream_options: { include_usage: true } });
  let id = null, model = null, usage = null, text = '', chunks = 0;
  const finish = [], calls = {};
  for await (const c of s) {
    chunks++;
    id = c.id; model = c.model;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      if (ch.delta?.content) text += ch.delta.content;
      for (const tc of ch.delta?.tool_calls ?? []) {
        const k = `${ch.index}:${tc.index}`;
        calls[k] ??= { id: null, name: null, arguments: '' };
        if (tc.id) calls[k].id = tc.id;
        if (tc.function?.name) calls[k].name = tc.function.name;
        if (tc.function?.arguments) calls[k].arguments += tc.function.arguments;
      }
      if (ch.finish_reason) finish[ch.index] = ch.finish_reason;
    }
  }
  return { id, model, finish_reasons: finish, usage, text: text || null,
           tool_calls: Object.values(calls), chunks };
}

await runSteps('openai_chat', a.mode, {
  nonstream: async () => fromCompletion(await client.chat.completions.create({
    model: a.model, messages, ...lim })),
  stream: () => streamed({ model: a.model, messages, ...lim }),
  tool: async () => fromCompletion(await client.chat.completions.create({
    model: a.model, messages, tools, ...lim })),
  tool_stream: () => streamed({ model: a.model, messages, tools, ...lim }),
  // second turn of an agent loop: the tool result goes back, text comes out
  tool_result: async () => {
    const first = await client.chat.completions.create({ model: a.model, messages, tools });
    const call = first.choices[0].message.tool_calls[0];
    const r = await client.chat.completions.create({
      model: a.model, tools,
      messages: [...messages, first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21}' }] });
    return { first: fromCompletion(first), ...fromCompletion(r) };
  },
  completions: async () => {
    const r = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: a.maxTokens ?? 256 });
    return { id: r.id, model: r.model, usage: r.usage,
             finish_reasons: r.choices.map((c) => c.finish_reason), text: r.choices[0].text };
  },
  completions_stream: async () => {
    const s = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', stream: true,
      stream_options: { include_usage: true } });
    let id = null, model = null, usage = null, text = '', finish = null;
    for await (const c of s) {
      id = c.id; model = c.model;
      if (c.usage) usage = c.usage;
      for (const ch of c.choices) { text += ch.text; if (ch.finish_reason) finish = ch.finish_reason; }
    }
    return { id, model, usage, finish_reasons: [finish], text };
  },
  embeddings: async () => {
    const r = await client.embeddings.create({
      model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    return { model: r.model, usage: r.usage, count: r.data.length,
             dimensions: r.data[0].embedding.length };
  },
});
