// SPDX-License-Identifier: MIT
// MCP Streamable HTTP client via @modelcontextprotocol/sdk: initialize,
// listTools, callTool get_weather and failing_tool, then DELETE the session.
// usage: node mcp_client.mjs --base https://127.0.0.1:PORT [--path /mcp?mode=sse]
//   [--city NAME] [--header k:v]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { clientArgs } from './_common.mjs';

const a = clientArgs({ path: { type: 'string', default: '/mcp' },
  city: { type: 'string', default: 'Paris' } });
const headers = { ...a.headers };
if (a.key) headers.Authorization = `Bearer ${a.key}`;
const transport = new StreamableHTTPClientTransport(new URL(a.base + a.path),
  { requestInit: { headers } });
const client = new Client({ name: 'agentrace-e2e', version: '1.0.0' });
const out = { client: 'mcp', ok: true };
try {
  await client.connect(transport);
  out.session = transport.sessionId ?? null;
  out.server = client.getServerVersion() ?? null;
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  const w = await client.callTool({ name: 'get_weather', arguments: { city: a.city } });
  out.weather = { isError: w.isError ?? false, text: w.content?.[0]?.text ?? null,
                  structured: w.structuredContent ?? null };
  const f = await client.callTool({ name: 'failing_tool', arguments: {} });
  out.failing = { isError: f.isError ?? false, text: f.content?.[0]?.text ?? null };
  await transport.terminateSession();
} catch (e) {
  out.ok = false;
  out.error = String(e?.message ?? e).slice(0, 300);
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
process.exitCode = out.ok ? 0 : 3;
