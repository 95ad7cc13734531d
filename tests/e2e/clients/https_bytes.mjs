// SPDX-License-Identifier: MIT
// Byte-exact traffic to echo_server.py: N sequential requests over ONE
// keep-alive TLS connection (https.Agent keepAlive, maxSockets 1).
// usage: node https_bytes.mjs --url https://127.0.0.1:PORT
//   --sizes REQ:RESP[,REQ:RESP...] [--path /echo] [--chunked] [--method POST]
// A REQ of 0 sends no body. --chunked sends the bodies with
// Transfer-Encoding: chunked (in 16 KiB writes). Response bodies are checked
// byte-for-byte against the server's deterministic pattern. Prints a JSON
// summary; exit code 0 when every response matched and one socket was used.
import https from 'node:https';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: {
  url: { type: 'string' }, sizes: { type: 'string', default: '100:100' },
  path: { type: 'string', default: '/echo' }, chunked: { type: 'boolean', default: false },
  method: { type: 'string', default: 'POST' } } });
if (!o.url) { process.stderr.write('error: need --url\n'); process.exit(2); }
const u = new URL(o.url);
const mod = u.protocol === 'http:' ? http : https;
const agent = new mod.Agent({ keepAlive: true, maxSockets: 1 });

// Same pattern as echo_server.body_bytes: 16-byte records '%015x\n' of the
// record's own offset.
function pattern(n) {
  const b = Buffer.alloc(Math.ceil(n / 16) * 16);
  for (let i = 0; i * 16 < n; i++) b.write((i * 16).toString(16).padStart(15, '0') + '\n', i * 16, 'latin1');
  return b.subarray(0, n);
}
function reqBody(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 97 + (i % 26);
  return b;
}

function one(reqLen, respLen) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (reqLen > 0 && !o.chunked) headers['Content-Length'] = String(reqLen);
    const r = mod.request({
      host: u.hostname, port: u.port, method: o.method, agent,
      path: `${o.path}?resp=${respLen}`, headers,
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ req: reqLen, resp: respLen, status: res.statusCode, got: body.length,
          match: body.equals(pattern(respLen)), local_port: r.socket?.localPort ?? null,
          server_saw_req: Number(res.headers['x-req-body-len'] ?? -1) });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    if (reqLen > 0) {
      const body = reqBody(reqLen);
      if (o.chunked) {
        for (let off = 0; off < reqLen; off += 16384) r.write(body.subarray(off, off + 16384));
      } else {
        r.write(body);
      }
    }
    r.end();
  });
}

const results = [];
let ok = true;
try {
  for (const pair of o.sizes.split(',')) {
    const [q, s] = pair.split(':').map(Number);
    if (!(q >= 0 && s >= 0)) throw new Error(`bad size pair ${pair}`);
    const res = await one(q, s);
    results.push(res);
    if (!res.match || res.status !== 200 || res.server_saw_req !== q) ok = false;
  }
} catch (e) {
  ok = false;
  results.push({ error: String(e?.message ?? e) });
}
const ports = [...new Set(results.map((r) => r.local_port).filter((p) => p != null))];
if (ports.length !== 1) ok = false;
agent.destroy();
process.stdout.write(JSON.stringify({ client: 'https_bytes', ok, one_connection: ports.length === 1,
  local_ports: ports, results }, null, 1) + '\n');
process.exitCode = ok ? 0 : 1;
