// SPDX-License-Identifier: MIT
// An HTTP/2 (and HTTP/1.1) TLS front for mock_llm_server.py, built on
// node's http2 module: each request is forwarded to the mock, whose ground
// truth log stays the reference, and the answer is streamed back as it
// arrives (SSE included). Lets the Go client speak HTTP/2 with several
// concurrent streams on one connection.
//
// usage: node h2_proxy.mjs --cert C --key K --upstream https://127.0.0.1:P
//        --ca CA --ready-file F   (writes "PORT" to F once listening)
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) =>
  (i % 2 === 0 ? acc.concat([[v.replace(/^--/, ''), a[i + 1]]]) : acc), []));
const up = new URL(args.upstream);
const ca = fs.readFileSync(args.ca);
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade',
  'proxy-connection', 'host']);

const server = http2.createSecureServer({
  key: fs.readFileSync(args.key), cert: fs.readFileSync(args.cert), allowHTTP1: true,
}, (req, res) => {
  if (req.url.startsWith('/agentrace.test.Echo/')) return grpcEcho(req, res);
  const headers = {};
  for (const [k, v] of Object.entries(req.headers))
    if (!k.startsWith(':') && !HOP.has(k)) headers[k] = v;
  const u = https.request({
    host: up.hostname, port: up.port, path: req.url, method: req.method, headers, ca,
    agent: false,
  }, (ur) => {
    const out = {};
    for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(ur.statusCode, out);
    ur.on('data', (c) => res.write(c));
    ur.on('end', () => res.end());
  });
  u.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(u);
});
// A gRPC service answered here: /agentrace.test.Echo/Say echoes the
// message back with grpc-status 0 in the trailers; any other method gets
// grpc-status 12 (UNIMPLEMENTED) in a trailers-only response.
function grpcEcho(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url !== '/agentrace.test.Echo/Say') {
      res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '12' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/grpc' });
    res.addTrailers({ 'grpc-status': '0', 'grpc-message': '' });
    res.end(Buffer.concat(chunks));
  });
}

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(args['ready-file'] + '.tmp', String(server.address().port));
  fs.renameSync(args['ready-file'] + '.tmp', args['ready-file']);
});
