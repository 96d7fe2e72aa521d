import { describe, expect, it } from 'vitest';
import { ChannelClosedError, ThreadChannel, ThreadPool, spawn } from '../dist/cjs/index.js';
import { DIST, nextMacrotask, runChild } from './helpers';

describe('ThreadChannel', () => {
  it('moves 10k values in order from a worker to main (for await)', async () => {
    const pool = new ThreadPool({ minThreads: 0, maxThreads: 1 });
    const ch = new ThreadChannel<{ i: number }>();
    const sent = pool.run(
      (c: ThreadChannel<{ i: number }>, n: number) => {
        for (let i = 0; i < n; i++) c.send({ i });
        c.close();
        return 'sent';
      },
      ch,
      10_000,
    );
    let k = 0;
    let inOrder = true;
    for await (const v of ch) if (v.i !== k++) inOrder = false;
    expect(k).toBe(10_000);
    expect(inOrder).toBe(true);
    expect(await sent).toBe('sent');
    await pool.close();
  });

  it('moves 1k values from a main tasklet to tasklets in a worker', async () => {
    const pool = new ThreadPool({ minThreads: 0, maxThreads: 1 });
    const ch = new ThreadChannel<number>({ capacity: 8 });
    const sum = pool.run(
      (dist: string, c: ThreadChannel<number>) => {
        const T = require(dist);
        const got: number[] = [];
        return T.spawn(() => {
          for (const v of c) got.push(v);
          return got.every((v, i) => v === i) ? got.length : -1;
        }).result;
      },
      DIST,
      ch,
    );
    await spawn(() => {
      for (let i = 0; i < 1000; i++) ch.send(i);
      ch.close();
    }).result;
    expect(await sum).toBe(1000);
    await pool.close();
  });

  it('crosses postMessage as share() and is revived with ThreadChannel.from()', () => {
    const r = runChild(`
      const { Worker } = require('node:worker_threads');
      const ch = new T.ThreadChannel();
      const w = new Worker(\`
        const T = require(${JSON.stringify(DIST)});
        const { workerData } = require('node:worker_threads');
        const ch = T.ThreadChannel.from(workerData);
        ch.send('hello from the worker thread');
      \`, { eval: true, workerData: ch.share() });
      ch.receiveAsync().then((v) => console.log(v));
    `);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('hello from the worker thread');
  });

  it('a worker terminated while blocked on a ThreadChannel: no hang, no crash, no lost value', () => {
    const r = runChild(`
      const { Worker } = require('node:worker_threads');
      const ch = new T.ThreadChannel();
      const src = (inTasklet) => \`
        const T = require(${JSON.stringify(DIST)});
        const ch = T.ThreadChannel.from(require('node:worker_threads').workerData);
        if (\${inTasklet}) { T.spawn(() => ch.receive()); setInterval(() => {}, 1000); } else ch.receive();
      \`;
      const ws = [false, true].map((t) => new Worker(src(t), { eval: true, workerData: ch.share() }));
      const started = Date.now();
      const poll = setInterval(async () => {
        // Both workers blocked on receive() (or 5 s passed: the test fails).
        if (ch.balance !== -2 && Date.now() - started < 5000) return;
        clearInterval(poll);
        console.log('balance before', ch.balance);
        console.log('exit codes', (await Promise.all(ws.map((w) => w.terminate()))).join(','));
        console.log('balance after', ch.balance);
        ch.sendAsync('kept').then(() => console.log('sent'));
        T.spawn(() => console.log('received', ch.receive()));
      }, 10);
    `);
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('balance before -2');
    expect(r.stdout).toContain('exit codes 1,1');
    expect(r.stdout).toContain('balance after 0');
    expect(r.stdout).toContain('received kept');
  });

  it('a killed tasklet leaves the channel: its value is not delivered and balance is right', async () => {
    const ch = new ThreadChannel<string>();
    const victim = spawn(() => ch.send('lost'));
    await nextMacrotask();
    expect(ch.balance).toBe(1);
    victim.kill();
    expect(ch.balance).toBe(0);
    expect(ch.trySend('x')).toBe(false);
  });

  it('close semantics as for Channel; blocking calls in main are refused', async () => {
    const ch = new ThreadChannel<number>({ capacity: 2 });
    await ch.sendAsync(1);
    ch.close();
    expect([ch.closing, ch.closed]).toEqual([true, false]);
    await expect(ch.sendAsync(2)).rejects.toThrow(ChannelClosedError);
    expect(await ch.receiveAsync()).toBe(1);
    expect(ch.closed).toBe(true);
    await expect(ch.receiveAsync()).rejects.toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_CLOSED' }));
    expect(() => ch.send(1)).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
    expect(() => ch.receive()).toThrow(/use receiveAsync\(\)/);
  });

  it('refuses bad arguments with Node codes, naming them', () => {
    const err = (code: string, cls: ErrorConstructor, text: string) =>
      expect.objectContaining({ code, constructor: cls, message: expect.stringContaining(text) });
    expect(() => ThreadChannel.from(42 as never)).toThrow(err('ERR_INVALID_ARG_TYPE', TypeError, 'The "value" argument must be'));
    expect(() => ThreadChannel.from({} as never)).toThrow(err('ERR_INVALID_ARG_VALUE', TypeError, "The argument 'value' must be"));
    expect(() => new ThreadChannel({ capacity: -1 })).toThrow(err('ERR_OUT_OF_RANGE', RangeError, '"options.capacity"'));
    expect(() => new ThreadChannel({ capacity: 1.5 })).toThrow(err('ERR_OUT_OF_RANGE', RangeError, '"options.capacity"'));
    expect(() => new ThreadChannel({ capacity: '1' } as never)).toThrow(err('ERR_INVALID_ARG_TYPE', TypeError, '"options.capacity"'));
    expect(() => new ThreadChannel({ capacty: 1 } as never)).toThrow(
      err('ERR_INVALID_ARG_VALUE', TypeError, "'options.capacty' is not a known option (known: capacity)"),
    );
    expect(() => new ThreadChannel('x' as never)).toThrow(err('ERR_INVALID_ARG_TYPE', TypeError, '"options" argument'));
    expect(new ThreadChannel({ capacity: Infinity }).trySend(1)).toBe(true);
    const ch = new ThreadChannel({ capacity: 4 });
    expect(() => ch.trySend(1, 'x' as never)).toThrow(err('ERR_INVALID_ARG_TYPE', TypeError, 'The "transfer" argument must be an instance of Array'));
    expect(() => ch.trySend(1, [42] as never)).toThrow(err('ERR_INVALID_ARG_TYPE', TypeError, 'The "transfer[0]" argument must be an instance of ArrayBuffer'));
    const b = new ArrayBuffer(8);
    expect(() => ch.trySend(1, [b, b])).toThrow(err('ERR_INVALID_ARG_VALUE', TypeError, "The argument 'transfer[1]' is listed twice"));
    expect(ch.buffered).toBe(0);
  });

  it('a value that cannot be cloned is refused before anything is queued', async () => {
    const ch = new ThreadChannel();
    await expect(ch.sendAsync((() => 1) as never)).rejects.toThrow(/could not be cloned/);
    expect(ch.balance).toBe(0);
    const copy = { nested: [1, { a: 'b' }], when: new Date(0), bytes: new Uint8Array([1, 2]) };
    const got = ch.receiveAsync();
    await ch.sendAsync(copy as never);
    const value = (await got) as typeof copy;
    expect(value).toEqual(copy);
    expect(value).not.toBe(copy);
  });

  it('sendException: the receiver throws a copy of the error', async () => {
    const ch = new ThreadChannel();
    const r = spawn(() => {
      try {
        ch.receive();
      } catch (e) {
        return (e as Error).message;
      }
    });
    await nextMacrotask();
    spawn(() => ch.sendException(new Error('across')));
    expect(await r.result).toBe('across');
  });

  it('moves ArrayBuffers listed in transfer to a worker: detached here, same bytes there', async () => {
    const pool = new ThreadPool({ minThreads: 0, maxThreads: 1 });
    const ch = new ThreadChannel<{ label: string; view: Uint8Array }>({ capacity: 1 });
    const buffer = new ArrayBuffer(1 << 20);
    const view = new Uint8Array(buffer);
    view[0] = 7;
    view[view.length - 1] = 9;
    const got = pool.run((c: ThreadChannel<{ label: string; view: Uint8Array }>) => {
      const { label, view } = c.receive();
      return [label, view.byteLength, view[0], view[view.length - 1]];
    }, ch);
    await ch.sendAsync({ label: 'moved', view }, [buffer]);
    expect(buffer.byteLength).toBe(0); // detached: the contents went, not a copy
    expect(view.length).toBe(0);
    expect(await got).toEqual(['moved', 1 << 20, 7, 9]);
    // Without transfer the sender keeps its buffer (a copy crossed).
    const kept = new Uint8Array([1, 2, 3]);
    expect(ch.trySend({ label: 'copied', view: kept })).toBe(true);
    expect((await ch.receiveAsync()).view).toEqual(new Uint8Array([1, 2, 3]));
    expect(kept.byteLength).toBe(3);
    await pool.close();
  });

  it('refuses a bad transfer list, naming the argument, and then sends nothing', async () => {
    const ch = new ThreadChannel({ capacity: 4 });
    const buffer = new ArrayBuffer(8);
    expect(() => ch.trySend(1, 'x' as never)).toThrow(/"transfer" argument/);
    expect(() => ch.trySend(1, [new Uint8Array(2)] as never)).toThrow(/"transfer\[0\]" argument/);
    expect(() => ch.trySend(1, [buffer, buffer])).toThrow(/'transfer\[1\]' is listed twice/);
    expect(() => ch.trySend(1, [new SharedArrayBuffer(8)] as never)).toThrow(/"transfer\[0\]" argument/);
    await expect(ch.sendAsync(1, [{}] as never)).rejects.toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(buffer.byteLength).toBe(8);
    expect(ch.buffered).toBe(0);
    // A value that cannot be cloned leaves the transfer list alone too.
    expect(() => ch.trySend(Symbol('no') as never, [buffer])).toThrow(/could not be cloned/);
    expect(buffer.byteLength).toBe(8);
    // trySend that finds no room detaches nothing.
    const full = new ThreadChannel();
    expect(full.trySend(buffer, [buffer])).toBe(false);
    expect(buffer.byteLength).toBe(8);
  });

  it('shares SharedArrayBuffers (and ThreadChannels in their shared form) inside values', async () => {
    const pool = new ThreadPool({ minThreads: 0, maxThreads: 1 });
    const ch = new ThreadChannel<unknown>({ capacity: 1 });
    const reply = new ThreadChannel<string>({ capacity: 1 });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const done = pool.run(
      (dist: string, c: ThreadChannel<unknown>) => {
        const T = require(dist);
        const { counter, reply } = c.receive() as { counter: Int32Array; reply: unknown };
        Atomics.add(counter, 0, 41);
        T.ThreadChannel.from(reply).send('added');
      },
      DIST,
      ch,
    );
    await ch.sendAsync({ counter, reply: reply.share() });
    expect(await reply.receiveAsync()).toBe('added');
    expect(Atomics.load(counter, 0)).toBe(41); // the worker wrote to this very memory
    await done;
    await pool.close();
  });

  it('async iteration reads no value ahead: a loop that breaks leaves the rest in the channel', async () => {
    const ch = new ThreadChannel<number>({ capacity: 10 });
    for (let i = 0; i < 5; i++) expect(ch.trySend(i)).toBe(true);
    const seen: number[] = [];
    for await (const v of ch) {
      seen.push(v);
      if (v === 1) break;
    }
    expect(seen).toEqual([0, 1]);
    expect(ch.buffered).toBe(3);
    await spawn(() => ch.sendException(new Error('stop'))).result;
    ch.close();
    const rest: number[] = [];
    await expect(
      (async () => {
        for await (const v of ch) rest.push(v);
      })(),
    ).rejects.toThrow('stop');
    expect(rest).toEqual([2, 3, 4]);
    expect(ch.closed).toBe(true);
    const after: number[] = [];
    for await (const v of ch) after.push(v);
    expect(after).toEqual([]);
  });
});

describe('ThreadChannel#tryReceive()', () => {
  it('in main: { ok: false } when empty, values in order, ChannelClosedError once drained', () => {
    const ch = new ThreadChannel<number>({ capacity: 3 });
    expect(ch.tryReceive()).toEqual({ ok: false });
    expect(ch.trySend(1)).toBe(true);
    expect(ch.trySend(2)).toBe(true);
    expect(ch.tryReceive()).toEqual({ ok: true, value: 1 });
    expect(ch.tryReceive()).toEqual({ ok: true, value: 2 });
    expect(ch.tryReceive()).toEqual({ ok: false });
    ch.trySend(4);
    ch.close();
    expect(ch.tryReceive()).toEqual({ ok: true, value: 4 });
    expect(() => ch.tryReceive()).toThrow(ChannelClosedError);
    expect(() => ch.tryReceive()).toThrow('ThreadChannel#tryReceive(): the channel is closed');
  });

  it('takes a value a blocked sender tasklet waits with, and throws a sendException() value', async () => {
    const ch = new ThreadChannel<number>();
    const s = spawn(() => ch.send(9));
    const deadline = Date.now() + 5_000;
    let got = ch.tryReceive();
    while (!got.ok && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      got = ch.tryReceive();
    }
    expect(got).toEqual({ ok: true, value: 9 });
    await s.result;
    const err = new Error('boom');
    const e = spawn(() => ch.sendException(err));
    let thrown: unknown;
    while (thrown === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      try {
        ch.tryReceive();
      } catch (error) {
        thrown = error;
      }
    }
    expect((thrown as Error).message).toBe('boom');
    await e.result;
  });
});
