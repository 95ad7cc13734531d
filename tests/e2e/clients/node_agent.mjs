// SPDX-License-Identifier: MIT
// A node CLI agent on the official openai SDK's Responses API: ask with
// tools -> the model asks for get_weather -> run the tool -> hand the result
// back with previous_response_id (the stateful follow-up) -> final answer.
// --tool http runs the tool as an HTTPS GET of /tools/v1/weather; --tool mcp
// runs it through the MCP SDK client's tools/call (the session is opened
// before the first model call, as agents do to list their tools).
// usage: node node_agent.mjs --base https://127.0.0.1:PORT [--tool http|mcp]
// Prints {ok, first_id, final_id, previous_response_id, calls: [{id, city, text}]}.
import OpenAI from 'openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { clientArgs, WEATHER_SCHEMA } from './_common.mjs';

const a = clientArgs({ tool: { type: 'string', default: 'http' } }, { model: 'gpt-4.1-mini' });
const client = new OpenAI({ apiKey: a.key, baseURL: a.base + '/v1', maxRetries: a.retries });
const tools = [{ type: 'function', name: 'get_weather', description: 'Weather for a city',
  parameters: WEATHER_SCHEMA, strict: false }];
const out = { client: 'node_agent', ok: true, calls: [] };
let mcp = null, transport = null;
try {
  if (a.tool === 'mcp') {
    transport = new StreamableHTTPClientTransport(new URL(a.base + '/mcp?mode=json'));
    mcp = new Client({ name: 'agentrace-e2e-agent', version: '1.0.0' });
    await mcp.connect(transport);
    await mcp.listTools();
  }
  const r1 = await client.responses.create({ model: a.model, tools,
    input: 'What is the weather in Paris?' });
  out.first_id = r1.id;
  const inputs = [];
  for (const o of r1.output.filter((x) => x.type === 'function_call')) {
    const city = JSON.parse(o.arguments).city;
    let text;
    if (mcp) {
      const r = await mcp.callTool({ name: o.name, arguments: { city } });
      text = r.content?.[0]?.text ?? '';
    } else {
      const r = await fetch(`${a.base}/tools/v1/weather?city=${encodeURIComponent(city)}`);
      text = await r.text();
    }
    out.calls.push({ id: o.call_id, city, text });
    inputs.push({ type: 'function_call_output', call_id: o.call_id, output: text });
  }
  const r2 = await client.responses.create({ model: a.model, tools,
    previous_response_id: r1.id, input: inputs });
  out.final_id = r2.id;
  out.previous_response_id = r1.id;
  out.status = r2.status;
  out.ok = r2.status === 'completed' && out.calls.length > 0;
} catch (e) {
  out.ok = false;
  out.error = String(e?.message ?? e).slice(0, 300);
} finally {
  if (transport) await transport.terminateSession().catch(() => {});
  if (mcp) await mcp.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exitCode = out.ok ? 0 : 3;
