'use strict';
// One server of bench/http.bench.js, in its own process; prints its port
// once listening. `node http-server.js backend` is the local backend the
// `io` handlers fetch from; otherwise `node http-server.js <wait> <style>
// [backendPort]`, where <wait> is what each request waits for:
//   immediate  one setImmediate turn
//   io         readFile of a small file, then fetch() of the backend
//   resolved   an already-resolved promise (blockOn returns at once: no switch)
// and <style> is plain (an async handler that awaits), serve (blockOn in a
// serve() handler) or endpoint (blockOn in 64 tasklets looping on accept()).
const fs = require('node:fs');
const http = require('node:http');
const T = require('..');
const { serve, Endpoint } = require('../dist/cjs/http.js');

const [wait, style, backendPort] = process.argv.slice(2);
const body = 'hello world';
const file = __filename; // a small file (a few KB)

// What each request waits for, as a promise factory: the plain handler
// awaits it, the tasklet handlers blockOn it.
const waits = {
  immediate: [() => new Promise((resolve) => setImmediate(resolve, body))],
  io: [
    () => fs.promises.readFile(file),
    () => fetch(`http://127.0.0.1:${backendPort}/`),
    (response) => response.text(),
  ],
  resolved: [() => Promise.resolve(body)],
};

let server;
if (wait === 'backend') {
  server = http.createServer((_req, res) => res.end('backend says hi'));
} else {
  const steps = waits[wait];
  if (steps === undefined) throw new Error(`unknown wait ${wait}`);
  const respond = (last) => (typeof last === 'string' ? last : `${body} ${last.length}`);
  if (style === 'plain') {
    server = http.createServer(async (_req, res) => {
      let v;
      for (const step of steps) v = await step(v);
      res.end(respond(v));
    });
  } else if (style === 'serve') {
    server = serve((_req, res) => {
      let v;
      for (const step of steps) v = T.blockOn(step(v));
      res.end(respond(v));
    });
  } else if (style === 'endpoint') {
    const ep = new Endpoint({ queueSize: 4096 });
    for (let i = 0; i < 64; i++) {
      T.spawn(() => {
        for (;;) {
          const ex = ep.accept();
          let v;
          for (const step of steps) v = T.blockOn(step(v));
          ex.reply(200, respond(v));
        }
      });
    }
    server = http.createServer(ep.handler);
  } else {
    throw new Error(`unknown style ${style}`);
  }
}
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
