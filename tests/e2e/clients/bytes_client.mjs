// SPDX-License-Identifier: MIT
// Byte-exact client over node's https (statically linked OpenSSL): several
// requests over ONE keep-alive connection.
// usage: node bytes_client.mjs PORT REQ:RESP [REQ:RESP ...]
import https from 'node:https';

const port = Number(process.argv[2]);
const pairs = process.argv.slice(3).map((p) => p.split(':').map(Number));
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

function body(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) % 251;
  return b;
}

function one([req, resp]) {
  return new Promise((resolve, reject) => {
    const r = https.request({ host: '127.0.0.1', port, method: 'POST', agent,
      path: `/echo?resp=${resp}`,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': req } },
    (res) => {
      let n = 0;
      res.on('data', (d) => { n += d.length; });
      res.on('end', () => (n === resp ? resolve() : reject(new Error(`got ${n} want ${resp}`))));
    });
    r.on('error', reject);
    r.end(body(req));
  });
}

for (const p of pairs) await one(p);
agent.destroy();
