// SPDX-License-Identifier: MIT
// Gemini generateContent / streamGenerateContent via @google/genai.
// usage: node gemini.mjs --base https://127.0.0.1:PORT [--key K]
//   [--api-version v1beta|v1|v1alpha] [--mode nonstream,stream,tool,tool_stream | all]
import { GoogleGenAI } from '@google/genai';
import { clientArgs, runSteps, WEATHER_SCHEMA } from './_common.mjs';

const a = clientArgs({ 'api-version': { type: 'string', default: 'v1beta' } },
  { model: 'gemini-2.5-flash', key: 'AIzaSyA-e2eTESTkey0123456789abcdefghijk' });
const ai = new GoogleGenAI({
  apiKey: a.key,
  httpOptions: { baseUrl: a.base, apiVersion: a['api-version'], headers: a.headers },
});
const contents = 'What is the weather in Paris?';
const cfg = a.maxTokens ? { maxOutputTokens: a.maxTokens } : {};
const tools = [{ functionDeclarations: [{ name: 'get_weather',
  description: 'Weather for a city', parameters: WEATHER_SCHEMA }] }];

// r.text warns when a part is a functionCall; join the text parts by hand.
function textOf(r) {
  const parts = r?.candidates?.[0]?.content?.parts ?? [];
  return parts.filter((p) => typeof p.text === 'string').map((p) => p.text).join('') || null;
}

function summary(r) {
  return {
    id: r.responseId ?? null, model: r.modelVersion ?? null,
    finish_reasons: (r.candidates ?? []).map((c) => c.finishReason ?? null),
    usage: r.usageMetadata ?? null,
    text: textOf(r),
    tool_calls: (r.functionCalls ?? []).map((f) => ({ id: f.id ?? null, name: f.name, args: f.args })),
  };
}

async function streamed(params) {
  const s = await ai.models.generateContentStream(params);
  let last = null, text = '', chunks = 0;
  const calls = [];
  for await (const c of s) {
    chunks++;
    last = c;
    text += textOf(c) ?? '';
    for (const f of c.functionCalls ?? []) calls.push({ id: f.id ?? null, name: f.name, args: f.args });
  }
  return { ...summary(last), text: text || null, tool_calls: calls, chunks };
}

await runSteps('gemini', a.mode, {
  nonstream: async () => summary(await ai.models.generateContent({ model: a.model, contents, config: cfg })),
  stream: () => streamed({ model: a.model, contents, config: cfg }),
  tool: async () => summary(await ai.models.generateContent({
    model: a.model, contents, config: { ...cfg, tools } })),
  tool_stream: () => streamed({ model: a.model, contents, config: { ...cfg, tools } }),
});
