'use strict';
// One server of bench/http.bench.js, in its own process: `node http-server.js
// plain|serve|endpoint`; prints its port once listening.
const http = require('node:http');
const T = require('..');
const { serve, Endpoint } = require('../dist/cjs/http.js');

const kind = process.argv[2];
const body = 'hello world';
let server;
if (kind === 'plain') {
  server = http.createServer(async (_req, res) => {
    await Promise.resolve(body);
    res.end(body);
  });
} else if (kind === 'serve') {
  server = serve((_req, res) => res.end(T.blockOn(Promise.resolve(body))));
} else if (kind === 'endpoint') {
  const ep = new Endpoint({ queueSize: 4096 });
  for (let i = 0; i < 64; i++) {
    T.spawn(() => {
      for (;;) ep.accept().reply(200, body);
    });
  }
  server = http.createServer(ep.handler);
} else {
  throw new Error(`unknown server kind ${kind}`);
}
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
