// SPDX-License-Identifier: MIT
// Ollama /api/chat and /api/generate via the official ollama package.
// usage: node ollama.mjs --base https://127.0.0.1:PORT
//   [--mode chat,chat_stream,generate,generate_stream,tool,tags | all]
import { Ollama } from 'ollama';
import { clientArgs, runSteps, WEATHER_SCHEMA } from './_common.mjs';

const a = clientArgs({}, { model: 'llama3.2:1b' });
const ollama = new Ollama({ host: a.base, headers: a.headers });
const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
const options = a.maxTokens ? { num_predict: a.maxTokens } : undefined;

function final(r, text) {
  return {
    model: r.model, done_reason: r.done_reason ?? null,
    prompt_eval_count: r.prompt_eval_count ?? null, eval_count: r.eval_count ?? null,
    text: text ?? r.message?.content ?? r.response ?? null,
    tool_calls: (r.message?.tool_calls ?? []).map((t) => ({ name: t.function.name,
      arguments: t.function.arguments })),
  };
}

async function streamed(it) {
  let last = null, text = '', parts = 0;
  const calls = [];
  for await (const p of await it) {
    parts++;
    last = p;
    text += p.message?.content ?? p.response ?? '';
    for (const t of p.message?.tool_calls ?? []) calls.push({ name: t.function.name, arguments: t.function.arguments });
  }
  return { ...final(last, text), tool_calls: calls, parts };
}

await runSteps('ollama', a.mode, {
  chat: async () => final(await ollama.chat({ model: a.model, messages, options, stream: false })),
  chat_stream: () => streamed(ollama.chat({ model: a.model, messages, options, stream: true })),
  generate: async () => final(await ollama.generate({ model: a.model, prompt: 'Say hi', options, stream: false })),
  generate_stream: () => streamed(ollama.generate({ model: a.model, prompt: 'Say hi', options, stream: true })),
  tool: async () => final(await ollama.chat({ model: a.model, messages, options, stream: false,
    tools: [{ type: 'function', function: { name: 'get_weather',
      description: 'Weather for a city', parameters: WEATHER_SCHEMA } }] })),
  tags: async () => ({ models: (await ollama.list()).models.map((m) => m.name) }),
});
