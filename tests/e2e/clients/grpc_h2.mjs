// SPDX-License-Identifier: MIT
// gRPC unary calls over node's HTTP/2 client (real TLS, one session, calls
// concurrent on it), framed by hand: 1-byte flag + 4-byte length + message.
// usage: node grpc_h2.mjs --url https://127.0.0.1:PORT --ca CA --n N
// Prints one JSON line per call: {path, http_status, grpc_status}.
import fs from 'node:fs';
import http2 from 'node:http2';

const a = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, arr) =>
  (i % 2 === 0 ? acc.concat([[v.replace(/^--/, ''), arr[i + 1]]]) : acc), []));
const n = Number(a.n || 3);
const session = http2.connect(a.url, { ca: fs.readFileSync(a.ca) });

function call(path, msg) {
  return new Promise((resolve, reject) => {
    const body = Buffer.alloc(5 + msg.length);
    body.writeUInt32BE(msg.length, 1);
    msg.copy(body, 5);
    const s = session.request({ ':method': 'POST', ':path': path,
      'content-type': 'application/grpc', te: 'trailers' });
    let status = 0, grpc = null;
    s.on('response', (h) => { status = h[':status']; grpc = h['grpc-status'] ?? grpc; });
    s.on('trailers', (t) => { grpc = t['grpc-status']; });
    s.on('data', () => {});
    s.on('end', () => resolve({ path, http_status: status, grpc_status: grpc }));
    s.on('error', reject);
    s.end(body);
  });
}

const calls = [];
for (let i = 0; i < n; i++)
  calls.push(call('/agentrace.test.Echo/Say', Buffer.from('hello ' + i)));
calls.push(call('/agentrace.test.Echo/Missing', Buffer.from('x')));
for (const r of await Promise.all(calls)) console.log(JSON.stringify(r));
session.close();
