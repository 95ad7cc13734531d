// SPDX-License-Identifier: MIT
// One keep-alive HTTPS connection used across a pause: a chat call, then
// "opened <localPort>" on stdout and a wait for a line on stdin (the test
// starts agentrace meanwhile), then N more calls on the same socket, each
// reported as "call <localPort>".
// usage: node keepalive_wait.mjs PORT N
import https from 'node:https';
import readline from 'node:readline';

const [port, n] = [Number(process.argv[2]), Number(process.argv[3] ?? 3)];
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

function call(i) {
  const body = JSON.stringify({ model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `keep-alive call ${i}` }] });
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, agent, method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        authorization: 'Bearer sk-keepalive-TEST' } }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, port: req.socket.localPort, data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const first = await call(0);
process.stdout.write(`opened ${first.port}\n`);
const rl = readline.createInterface({ input: process.stdin });
await new Promise((resolve) => rl.once('line', resolve));
for (let i = 1; i <= n; i++) {
  const r = await call(i);
  if (r.status !== 200) { process.stderr.write(`call ${i}: status ${r.status}\n`); process.exit(3); }
  process.stdout.write(`call ${r.port}\n`);
}
rl.close();
agent.destroy();
