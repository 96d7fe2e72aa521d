import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskletExit, sleep, spawn } from '../dist/cjs/index.js';
import { Endpoint, readBody, serve } from '../dist/cjs/http.js';
import { nextMacrotask, until } from './helpers';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(server: http.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function request(port: number, path: string, body?: string, method = body ? 'POST' : 'GET') {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POSTs `size` bytes and settles once the connection is closed: the status
 * (undefined if no response came) and any error the client saw on the way,
 * even after the response (a reset while the body was still being sent).
 */
function postAndClose(port: number, size: number, chunked = false) {
  return new Promise<{ status?: number; body: string; connection?: string; error?: string }>((resolve) => {
    const out: { status?: number; body: string; connection?: string; error?: string } = { body: '' };
    const req = http.request({ host: '127.0.0.1', port, path: '/upload', method: 'POST', agent: false }, (res) => {
      out.status = res.statusCode;
      out.connection = res.headers.connection;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (out.body += c));
      res.on('error', (e: NodeJS.ErrnoException) => (out.error ??= e.code ?? e.message));
    });
    req.on('error', (e: NodeJS.ErrnoException) => (out.error ??= e.code ?? e.message));
    req.on('close', () => setTimeout(() => resolve(out), 20));
    if (!chunked) {
      req.end(Buffer.alloc(size, 0x61)); // with Content-Length
      return;
    }
    // Transfer-Encoding: chunked, 64 KiB at a time: the size is only known by counting.
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let left = size;
    const more = (): void => {
      while (left > 0) {
        left -= chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', more);
          return;
        }
      }
      req.end();
    };
    more();
  });
}

/**
 * Opens one connection per path, waits until the server has accepted them
 * all, then sends one GET on each: all in one tick (so that they reach the
 * server in the same turn of its event loop) or `gapMs` apart. Resolves with
 * the statuses, sorted.
 */
async function getOnOpenSockets(server: http.Server, port: number, paths: string[], gapMs?: number): Promise<number[]> {
  let accepted = 0;
  const onConnection = (): void => void accepted++;
  server.on('connection', onConnection);
  const sockets = paths.map(() => net.connect(port, '127.0.0.1'));
  const statuses = sockets.map(
    (s) =>
      new Promise<number>((resolve, reject) => {
        let text = '';
        s.setEncoding('utf8');
        s.on('data', (c: string) => (text += c));
        s.on('error', reject);
        s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])));
      }),
  );
  await until(() => accepted === paths.length);
  server.off('connection', onConnection);
  await nextMacrotask();
  for (const [i, path] of paths.entries()) {
    if (gapMs !== undefined && i > 0) await new Promise((r) => setTimeout(r, gapMs));
    sockets[i].write(`GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`);
  }
  return (await Promise.all(statuses)).sort();
}

/** Matches an error with `code` whose message contains `text`. */
function errorWith(code: string, text: string) {
  return expect.objectContaining({ code, message: expect.stringContaining(text) });
}

/** Runs `fn` in a tasklet and returns what it threw. */
async function thrownInTasklet(fn: () => void): Promise<unknown> {
  return spawn(fn).result.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('serve()', () => {
  it('runs each handler in its own tasklet, in blocking style', async () => {
    const port = await listen(
      serve((req, res) => {
        const body = readBody(req).toString();
        sleep(5);
        res.setHeader('content-type', 'text/plain');
        res.end(`${req.method} ${req.url} ${body}`);
      }),
    );
    expect(await request(port, '/a', 'hello')).toMatchObject({ status: 200, body: 'POST /a hello' });
  });

  it('200 concurrent requests each sleeping 200 ms run side by side (one after the other: 40 s)', async () => {
    const port = await listen(
      serve((_req, res) => {
        sleep(200);
        res.end('ok');
      }),
    );
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => request(port, `/${i}`)));
    const elapsed = Date.now() - t0;
    expect(rs.every((r) => r.status === 200 && r.body === 'ok')).toBe(true);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('an exception in a handler is a 500, is reported, and the server lives on', async () => {
    const server = serve((req, res) => {
      if (req.url === '/boom') throw new Error('handler failed');
      res.end('fine');
    });
    const reported: string[] = [];
    server.on('handlerError', (e: Error) => reported.push(e.message));
    const port = await listen(server);
    expect(await request(port, '/boom')).toMatchObject({ status: 500 });
    expect(reported).toEqual(['handler failed']);
    expect(await request(port, '/ok')).toMatchObject({ status: 200, body: 'fine' });
  });

  it('a client that disconnects kills its request tasklet', async () => {
    let seen: unknown;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const port = await listen(
      serve((_req, res) => {
        try {
          sleep(10_000);
          res.end('too late');
        } catch (e) {
          seen = e;
          throw e;
        } finally {
          resolveDone();
        }
      }),
    );
    const req = http.request({ host: '127.0.0.1', port, path: '/slow', agent: false });
    req.on('error', () => {});
    req.end();
    setTimeout(() => req.destroy(), 50);
    await done;
    expect(seen).toBeInstanceOf(TaskletExit);
  });

  it('bounds concurrency: requests beyond the bound wait their turn', async () => {
    let running = 0;
    let most = 0;
    const port = await listen(
      serve(
        (_req, res) => {
          running++;
          most = Math.max(most, running);
          sleep(30);
          running--;
          res.end('x');
        },
        { concurrency: 2 },
      ),
    );
    await Promise.all(Array.from({ length: 6 }, () => request(port, '/')));
    expect(most).toBe(2);
    expect(() => serve(() => {}, { concurrency: 0 })).toThrow(/options\.concurrency/);
  });

  it('a request whose client left while it waited for its turn is never handled', async () => {
    const urls: string[] = [];
    const port = await listen(
      serve(
        (req, res) => {
          urls.push(req.url!);
          sleep(150);
          res.end('x');
        },
        { concurrency: 1 },
      ),
    );
    const first = request(port, '/first');
    await new Promise((r) => setTimeout(r, 30));
    const gone = http.request({ host: '127.0.0.1', port, path: '/gone', agent: false });
    gone.on('error', () => {});
    gone.end();
    setTimeout(() => gone.destroy(), 30);
    await first;
    expect((await request(port, '/last')).status).toBe(200);
    expect(urls).toEqual(['/first', '/last']);
  });

  it('a body over the limit of readBody() is answered 413 when the error escapes, and the connection closes cleanly', async () => {
    const server = serve((req, res) => {
      readBody(req, 1024);
      res.end('unreachable');
    });
    const reported: unknown[] = [];
    server.on('handlerError', (e: unknown) => reported.push(e));
    const port = await listen(server);
    // 4 MiB: far more than is in flight when the server answers, so a socket
    // closed with unread data would be reset under the client.
    const r = await postAndClose(port, 4 * 1024 * 1024);
    expect(r).toMatchObject({ status: 413, connection: 'close', body: 'Payload Too Large' });
    expect(r.error).toBeUndefined();
    expect(reported).toEqual([]); // the client's doing, not the handler's
    expect(await request(port, '/small', 'tiny')).toMatchObject({ status: 200, body: 'unreachable' });
  }, 15_000);

  it('a handler can catch ERR_BODY_TOO_LARGE and answer itself; the client receives that answer', async () => {
    const seen: unknown[] = [];
    const port = await listen(
      serve((req, res) => {
        try {
          readBody(req, 1024);
        } catch (e) {
          seen.push((e as { code?: string }).code);
          res.statusCode = 413;
          res.end('too big for us');
          return;
        }
        res.end('unreachable');
      }),
    );
    const r = await postAndClose(port, 4 * 1024 * 1024);
    expect(r).toMatchObject({ status: 413, body: 'too big for us' });
    expect(r.error).toBeUndefined();
    expect(seen).toEqual(['ERR_BODY_TOO_LARGE']);
  }, 15_000);

  it('rejects options that are not an object and a bad concurrency, and passes other options to http.createServer', () => {
    expect(() => serve(() => {}, 5 as never)).toThrow(errorWith('ERR_INVALID_ARG_TYPE', '"options" argument must be of type object'));
    expect(() => serve(() => {}, null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => serve(() => {}, { concurrency: '2' as never })).toThrow(errorWith('ERR_INVALID_ARG_TYPE', '"options.concurrency"'));
    expect(() => serve(() => {}, { concurrency: 1.5 })).toThrow(errorWith('ERR_OUT_OF_RANGE', '"options.concurrency"'));
    expect(() => serve(42 as never)).toThrow(errorWith('ERR_INVALID_ARG_TYPE', '"handler"'));
    expect(serve(() => {}, { requestTimeout: 1234, concurrency: 4 }).requestTimeout).toBe(1234);
  });
});

describe('readBody()', () => {
  it('checks its arguments: req must be a readable stream, limit a number >= 0', async () => {
    const req = new http.IncomingMessage(new net.Socket());
    const notReq = await thrownInTasklet(() => readBody(42 as never));
    expect(notReq).toEqual(errorWith('ERR_INVALID_ARG_TYPE', 'The "req" argument must be'));
    expect(() => readBody(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const negative = await thrownInTasklet(() => readBody(req, -1));
    expect(negative).toEqual(errorWith('ERR_OUT_OF_RANGE', 'The value of "limit" is out of range'));
    const notNumber = await thrownInTasklet(() => readBody(req, '10' as never));
    expect(notNumber).toEqual(errorWith('ERR_INVALID_ARG_TYPE', '"limit"'));
  });

  it('in main is ERR_BLOCKING_IN_MAIN naming readBody()', () => {
    const req = new http.IncomingMessage(new net.Socket());
    expect(() => readBody(req)).toThrow(
      expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN', message: expect.stringMatching(/^readBody\(\) cannot block the main thread/) }),
    );
  });
});

describe('Endpoint', () => {
  it('long-lived tasklets accept() requests and reply() with status, body and headers', async () => {
    const ep = new Endpoint();
    const port = await listen(http.createServer(ep.handler));
    const workers = [1, 2].map((w) =>
      spawn(() => {
        for (;;) {
          const ex = ep.accept();
          if (ex.url === '/stop') {
            ex.reply(204);
            return;
          }
          ex.reply(201, `worker ${w}: ${ex.method} ${ex.url} ${ex.body.toString()}`, { 'x-worker': String(w) });
        }
      }),
    );
    const r = await request(port, '/put', 'data', 'PUT');
    expect(r.status).toBe(201);
    expect(r.body).toMatch(/^worker [12]: PUT \/put data$/);
    expect(r.headers['x-worker']).toMatch(/^[12]$/);
    await request(port, '/stop');
    await request(port, '/stop');
    await Promise.all(workers.map((w) => w.result));
  });

  it('acceptors whose handlers block run side by side: 8 requests, 4 acceptors sleeping 200 ms each', async () => {
    const ep = new Endpoint();
    const port = await listen(http.createServer(ep.handler));
    const seen = new Set<number>();
    const workers = [1, 2, 3, 4].map((w) =>
      spawn(() => {
        for (;;) {
          const ex = ep.accept();
          seen.add(w);
          sleep(200);
          ex.reply(200, String(w));
        }
      }),
    );
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => request(port, `/${i}`)));
    const elapsed = Date.now() - t0;
    expect(rs.every((r) => r.status === 200)).toBe(true);
    expect(seen.size).toBe(4);
    expect(elapsed).toBeLessThan(1000); // one acceptor at a time would take 1.6 s
    workers.forEach((w) => w.kill());
    expect(() => ep.accept()).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
  });

  it('answers 503 when the queue is full and 504 when nobody replies in time', async () => {
    const ep = new Endpoint({ queueSize: 1, timeout: 150 });
    const port = await listen(http.createServer(ep.handler));
    const [a, b] = await Promise.all([request(port, '/1'), request(port, '/2')]);
    expect([a.status, b.status].sort()).toEqual([503, 504]);
  });

  it('replying twice is ERR_ALREADY_REPLIED; acceptAsync works from main', async () => {
    const ep = new Endpoint();
    const port = await listen(http.createServer(ep.handler));
    const pending = request(port, '/x');
    const ex = await ep.acceptAsync();
    ex.reply(200, 'once');
    expect(ex.replied).toBe(true);
    expect(() => ex.reply(200, 'twice')).toThrow(expect.objectContaining({ code: 'ERR_ALREADY_REPLIED' }));
    expect((await pending).body).toBe('once');
    expect(() => new Endpoint({ queueSize: -1 })).toThrow(/options\.queueSize/);
  });

  it('answers a body over bodyLimit with 413 and closes the connection cleanly', async () => {
    const ep = new Endpoint({ bodyLimit: 1024 });
    const port = await listen(http.createServer(ep.handler));
    for (const chunked of [false, true]) {
      const r = await postAndClose(port, 4 * 1024 * 1024, chunked);
      expect(r, chunked ? 'chunked' : 'with Content-Length').toMatchObject({ status: 413, connection: 'close', body: 'Payload Too Large' });
      expect(r.error).toBeUndefined();
    }
    expect(ep.waiting).toBe(0);
  }, 15_000);

  // queueSize 1 and one idle acceptor that takes 100 ms a request: the
  // acceptor takes one request, one more may wait, the third is refused.
  async function burst(gapMs?: number): Promise<number[]> {
    const ep = new Endpoint({ queueSize: 1 });
    const server = http.createServer(ep.handler);
    const port = await listen(server);
    const worker = spawn(() => {
      for (;;) {
        const ex = ep.accept();
        sleep(100);
        ex.reply(200, 'ok');
      }
    });
    try {
      return await getOnOpenSockets(server, port, ['/1', '/2', '/3'], gapMs);
    } finally {
      worker.kill();
      await worker.result;
    }
  }

  it('with queueSize 1 and one busy acceptor, requests arriving in separate turns get 200 200 503', async () => {
    expect(await burst(20)).toEqual([200, 200, 503]);
  }, 10_000);

  it('with queueSize 1 and one idle acceptor, three requests arriving in the same turn also get 200 200 503', async () => {
    expect(await burst()).toEqual([200, 200, 503]);
  }, 10_000);

  it('rejects options that are not an object, unknown option keys and bad option values, naming them', () => {
    expect(() => new Endpoint(5 as never)).toThrow(errorWith('ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object'));
    const typo = { queueSzie: 4 } as never;
    expect(() => new Endpoint(typo)).toThrow(errorWith('ERR_INVALID_ARG_VALUE', "'options.queueSzie' is not a known option"));
    expect(() => new Endpoint({ queueSize: 1.5 })).toThrow(errorWith('ERR_OUT_OF_RANGE', '"options.queueSize"'));
    expect(() => new Endpoint({ timeout: '5' as never })).toThrow(errorWith('ERR_INVALID_ARG_TYPE', '"options.timeout"'));
    expect(() => new Endpoint({ timeout: 2 ** 31 })).toThrow(errorWith('ERR_OUT_OF_RANGE', '"options.timeout"'));
    expect(() => new Endpoint({ bodyLimit: -1 })).toThrow(errorWith('ERR_OUT_OF_RANGE', '"options.bodyLimit"'));
  });

  it('reply() checks status and body before answering, so a bad call leaves the exchange open', async () => {
    const ep = new Endpoint();
    const port = await listen(http.createServer(ep.handler));
    const pending = request(port, '/x');
    const ex = await ep.acceptAsync();
    expect(() => ex.reply(99)).toThrow(errorWith('ERR_OUT_OF_RANGE', 'The value of "status" is out of range'));
    expect(() => ex.reply(1000)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ex.reply(200.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ex.reply('200' as never)).toThrow(errorWith('ERR_INVALID_ARG_TYPE', 'The "status" argument must be of type number'));
    expect(() => ex.reply(200, 42 as never)).toThrow(errorWith('ERR_INVALID_ARG_TYPE', 'The "body" argument must be'));
    expect(() => ex.reply(200, 'x', 'h' as never)).toThrow(errorWith('ERR_INVALID_ARG_TYPE', 'The "headers" argument must be'));
    expect(ex.replied).toBe(false);
    ex.reply(202, Buffer.from('fine'));
    expect(await pending).toMatchObject({ status: 202, body: 'fine' });
  });
});
