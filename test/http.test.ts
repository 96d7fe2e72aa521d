import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskletExit, sleep, spawn } from '../dist/cjs/index.js';
import { Endpoint, readBody, serve } from '../dist/cjs/http.js';

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

  it('200 concurrent requests each sleeping 200 ms finish in well under 2 s', async () => {
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
    expect(elapsed).toBeLessThan(1500);
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
});
