import { describe, expect, it } from 'vitest';
import {
  Channel,
  Event,
  Pool,
  Semaphore,
  TaskletError,
  ThreadChannel,
  Timeout,
  TimeoutError,
  blockOn,
  select,
  sleep,
  spawn,
  withTimeout,
} from '../dist/cjs/index.js';
import { runChild } from './helpers';

/** Runs fn in a tasklet and returns its result. */
function inTasklet<R>(fn: () => R): Promise<Awaited<R>> {
  return spawn(fn).result;
}

/** What a call inside withTimeout(ms, call) threw, or 'returned'. */
function timedOut(ms: number, call: () => unknown): unknown {
  try {
    withTimeout(ms, call);
    return 'returned';
  } catch (error) {
    return error;
  }
}

/** Like timedOut(), with a Timeout of the caller's own. */
function timedOut2(t: Timeout): unknown {
  try {
    withTimeout(t, () => sleep(10_000));
    return 'returned';
  } catch (error) {
    return error;
  }
}

describe('withTimeout()', () => {
  it("returns fn's value and passes the arguments", async () => {
    expect(await inTasklet(() => withTimeout(1000, (a: number, b: number) => a + b, 2, 3))).toBe(5);
  });

  it('makes the blocking call in progress throw a TimeoutError naming its Timeout', async () => {
    const err = await inTasklet(() => timedOut(20, () => sleep(10_000)));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toBeInstanceOf(TaskletError);
    expect(err).toBeInstanceOf(Error);
    const e = err as TimeoutError;
    expect(e.code).toBe('ERR_TIMEOUT');
    expect(e.name).toBe('TimeoutError');
    expect(e.message).toBe('timed out after 20 ms');
    expect(e.timeout).toBeInstanceOf(Timeout);
    expect(e.timeout.ms).toBe(20);
    expect(e.timeout.fired).toBe(true);
    expect(e.timeout.pending).toBe(false);
  });

  it('accepts a Timeout, so the caller can tell its own deadline from an outer one', async () => {
    const mine = new Timeout(20);
    const err = await inTasklet(() => timedOut(0, () => 0) === 'returned' && timedOut2(mine));
    expect((err as TimeoutError).timeout).toBe(mine);
  });

  it('leaves no timer when fn returns or throws first', async () => {
    const t = new Timeout(50);
    await inTasklet(() => withTimeout(t, () => sleep(1)));
    expect(t.pending).toBe(false);
    await expect(inTasklet(() => withTimeout(t, () => { throw new Error('boom'); }))).rejects.toThrow('boom');
    expect(t.pending).toBe(false);
    // Had the timer outlived the scope, this sleep would be interrupted.
    await inTasklet(() => sleep(80));
    expect(t.fired).toBe(false);
  });

  it('Infinity is no deadline; deadlines beyond setTimeout\'s limit are honoured', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      expect(await inTasklet(() => withTimeout(Infinity, () => (sleep(20), 'ok')))).toBe('ok');
      expect(await inTasklet(() => withTimeout(2 ** 31 + 5, () => (sleep(20), 'ok')))).toBe('ok');
      const t = new Timeout(Infinity);
      await inTasklet(() => {
        t.start();
        expect(t.pending).toBe(false);
        t.cancel();
      });
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('in main just calls fn: main never waits, so nothing fires and no timer is armed', () => {
    expect(withTimeout(1, (x: number) => x * 2, 21)).toBe(42);
    const t = new Timeout(1).start();
    expect(t.pending).toBe(false);
    t.cancel();
    const r = runChild(`new T.Timeout(60000).start(); T.withTimeout(60000, () => 1); console.log('ok');`, { timeoutMs: 10_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stdout.trim()).toBe('ok');
  });

  it('rejects bad arguments with Node codes naming them', () => {
    const f = (): number => 1;
    expect(() => withTimeout(-1, f)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"ms"') }));
    expect(() => withTimeout(NaN, f)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => withTimeout('5' as unknown as number, f)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"ms"') }),
    );
    expect(() => withTimeout(5, 42 as unknown as () => void)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"fn"') }),
    );
    expect(() => withTimeout(5, async () => 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Timeout(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"ms"') }));
    expect(() => new Timeout(NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Timeout(undefined as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('Timeout', () => {
  it('start() while pending is ERR_TIMEOUT_PENDING; cancel() is idempotent; a fired one restarts', async () => {
    await inTasklet(() => {
      const t = new Timeout(15);
      expect(t.start()).toBe(t);
      expect(t.pending).toBe(true);
      expect(() => t.start()).toThrow(expect.objectContaining({ code: 'ERR_TIMEOUT_PENDING' }));
      t.cancel();
      t.cancel();
      expect(t.pending).toBe(false);
      t.start();
      expect(() => sleep(1000)).toThrow(TimeoutError);
      expect(t.fired).toBe(true);
      t.start(); // again, after it fired
      expect(t.fired).toBe(false);
      expect(() => sleep(1000)).toThrow(TimeoutError);
      t.cancel();
    });
  });

  it('fires once: a caught TimeoutError does not come back in the next wait', async () => {
    await inTasklet(() => {
      const t = new Timeout(10).start();
      expect(() => sleep(1000)).toThrow(TimeoutError);
      sleep(20); // not interrupted
      t.cancel();
    });
  });

  it('fired while its tasklet was not waiting: the delivered value is kept, the next wait throws', async () => {
    const ch = new Channel<string>();
    ch.preference = 0; // the receiver is queued, not run, by the send
    let t!: Timeout;
    const receiver = spawn(() => {
      t = new Timeout(20).start();
      const v = ch.receive();
      let err: unknown;
      try {
        sleep(5_000);
      } catch (e) {
        err = e;
      }
      t.cancel();
      return [v, err];
    });
    spawn(() => {
      ch.send('x');
      receiver.remove(); // woken with 'x', out of the queue until the timeout has fired
      setTimeout(() => receiver.insert(), 60);
    });
    const [v, err] = (await receiver.result) as [string, TimeoutError];
    expect(v).toBe('x');
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.timeout).toBe(t);
  });

  it('cancel() forgets a firing the tasklet has not seen yet', async () => {
    const ch = new Channel<string>();
    ch.preference = 0;
    const receiver = spawn(() => {
      const t = new Timeout(20).start();
      const v = ch.receive();
      t.cancel();
      sleep(5);
      return v;
    });
    spawn(() => {
      ch.send('y');
      receiver.remove();
      setTimeout(() => receiver.insert(), 60);
    });
    expect(await receiver.result).toBe('y');
  });
});

describe('nested timeouts', () => {
  it('inner shorter: the inner TimeoutError is the inner one; the outer scope goes on', async () => {
    const r = await inTasklet(() => {
      const outer = new Timeout(2_000);
      return withTimeout(outer, () => {
        const inner = new Timeout(20);
        let which = '';
        try {
          withTimeout(inner, () => sleep(10_000));
        } catch (e) {
          which = (e as TimeoutError).timeout === inner ? 'inner' : 'other';
        }
        sleep(5); // the outer deadline still stands, not passed
        return [which, outer.pending, inner.pending];
      });
    });
    expect(r).toEqual(['inner', true, false]);
  });

  it('outer shorter: the outer TimeoutError passes through the inner scope untouched', async () => {
    const outer = new Timeout(20);
    const inner = new Timeout(5_000);
    const seen: string[] = [];
    const err = await inTasklet(() => {
      try {
        withTimeout(outer, () => {
          try {
            withTimeout(inner, () => sleep(10_000));
          } catch (e) {
            seen.push((e as TimeoutError).timeout === inner ? 'inner caught its own' : 'inner saw outer');
            throw e;
          }
        });
      } catch (e) {
        return e;
      }
    });
    expect((err as TimeoutError).timeout).toBe(outer);
    expect(seen).toEqual(['inner saw outer']);
    expect(inner.pending).toBe(false);
  });
});

describe('nested timeouts that fired while the tasklet was not waiting', () => {
  it('the outer one is thrown first and passes through the inner scope, which forgets its own', async () => {
    const ch = new Channel<string>();
    ch.preference = 0;
    const outer = new Timeout(20);
    const inner = new Timeout(10);
    const receiver = spawn(() => {
      const log: string[] = [];
      try {
        withTimeout(outer, () => {
          withTimeout(inner, () => {
            log.push(ch.receive()); // delivered; both deadlines pass before it runs
            sleep(5_000);
          });
        });
      } catch (e) {
        log.push((e as TimeoutError).timeout === outer ? 'outer' : 'inner');
      }
      sleep(5); // nothing left to throw
      log.push('done');
      return log;
    });
    spawn(() => {
      ch.send('v');
      receiver.remove();
      setTimeout(() => receiver.insert(), 60);
    });
    expect(await receiver.result).toEqual(['v', 'outer', 'done']);
    expect([outer.fired, inner.fired]).toEqual([true, true]);
  });
});

describe('a timeout firing in each kind of wait', () => {
  it('blockOn(): throws; the promise settling later changes nothing', async () => {
    let resolve!: (v: number) => void;
    const p = new Promise<number>((r) => (resolve = r));
    expect(await inTasklet(() => timedOut(10, () => blockOn(p)))).toBeInstanceOf(TimeoutError);
    resolve(1);
  });

  it('sleep()', async () => {
    expect(await inTasklet(() => timedOut(10, () => sleep(10_000)))).toBeInstanceOf(TimeoutError);
  });

  it('Channel#send(): the value is withdrawn (balance 0), never received later', async () => {
    const ch = new Channel<number>();
    expect(await inTasklet(() => timedOut(10, () => ch.send(1)))).toBeInstanceOf(TimeoutError);
    expect(ch.balance).toBe(0);
    const got = ch.receiveAsync();
    await ch.sendAsync(2);
    expect(await got).toBe(2);
    expect(ch.balance).toBe(0);
  });

  it('Channel#receive(): the receiver is withdrawn (balance 0); a later value goes to the next receiver', async () => {
    const ch = new Channel<number>();
    expect(await inTasklet(() => timedOut(10, () => ch.receive()))).toBeInstanceOf(TimeoutError);
    expect(ch.balance).toBe(0);
    const sent = ch.sendAsync(3);
    expect(ch.balance).toBe(1);
    expect(await inTasklet(() => ch.receive())).toBe(3);
    await sent;
    expect(ch.balance).toBe(0);
  });

  it('select(): every case is withdrawn', async () => {
    const a = new Channel<number>();
    const b = new Channel<number>();
    const err = await inTasklet(() => timedOut(10, () => select([{ receive: a }, { send: b, value: 9 }])));
    expect(err).toBeInstanceOf(TimeoutError);
    expect([a.balance, b.balance]).toEqual([0, 0]);
  });

  it('tasklet.join()', async () => {
    const sleeper = spawn(() => sleep(10_000));
    expect(await inTasklet(() => timedOut(10, () => sleeper.join()))).toBeInstanceOf(TimeoutError);
    expect(sleeper.alive).toBe(true);
    sleeper.kill();
  });

  it('Event#wait(): a later set() finds no stale waiter', async () => {
    const ev = new Event();
    expect(await inTasklet(() => timedOut(10, () => ev.wait()))).toBeInstanceOf(TimeoutError);
    ev.set();
    expect(ev.isSet).toBe(true);
  });

  it('Semaphore#acquire(): the timed-out waiter consumes no permit', async () => {
    const sem = new Semaphore(0);
    expect(await inTasklet(() => timedOut(10, () => sem.acquire()))).toBeInstanceOf(TimeoutError);
    sem.release();
    expect(sem.value).toBe(1);
  });

  it('Pool#map(): the mapped tasklets are killed, every slot is free', async () => {
    const pool = new Pool(2);
    const err = await inTasklet(() => timedOut(10, () => pool.map(() => sleep(10_000), [1, 2, 3, 4])));
    expect(err).toBeInstanceOf(TimeoutError);
    expect([pool.running, pool.waiting]).toEqual([0, 0]);
  });

  it('ThreadChannel#receive(): the receiver is withdrawn; a later value is kept', async () => {
    const ch = new ThreadChannel<number>();
    expect(await inTasklet(() => timedOut(10, () => ch.receive()))).toBeInstanceOf(TimeoutError);
    expect(ch.balance).toBe(0);
    expect(ch.trySend(5)).toBe(false);
    const sent = ch.sendAsync(6);
    expect(await ch.receiveAsync()).toBe(6);
    await sent;
  });

  it('ThreadChannel#receive() with the value already on its way: the value is received, not replaced', async () => {
    const ch = new ThreadChannel<number>();
    const t = spawn(() => withTimeout(100, () => ch.receive()));
    // Check phase: hand the value over (it reaches the tasklet through the
    // inbox, in the next poll phase), then hold the loop past the deadline
    // so that the timer fires first, while the value is in flight.
    setImmediate(() => {
      expect(ch.trySend(7)).toBe(true);
      for (const end = Date.now() + 150; Date.now() < end; );
    });
    expect(await t.result).toBe(7);
    expect(ch.balance).toBe(0);
  });
});

describe('no timer outlives its scope (child processes)', () => {
  const cases: Record<string, string> = {
    'a scope that ended early': `T.spawn(() => T.withTimeout(60000, () => T.sleep(5)));`,
    'a tasklet killed inside a scope': `
      const t = T.spawn(() => T.withTimeout(60000, () => T.blockOn(new Promise(() => {}))));
      setTimeout(() => t.kill(), 10);`,
    'a tasklet that ended with a started Timeout': `T.spawn(() => { new T.Timeout(60000).start(); T.sleep(5); });`,
    'a tasklet killed in a wait after its Timeout fired': `
      let fired = false;
      const t = T.spawn(() => { new T.Timeout(5).start(); try { T.sleep(60000); } catch { fired = true; } T.blockOn(new Promise(() => {})); });
      const iv = setInterval(() => { if (fired) { clearInterval(iv); t.kill(); } }, 5);`,
    'a scope of Infinity (no timer: the exit pass ends the waiting tasklet)': `
      T.spawn(() => T.withTimeout(Infinity, () => T.blockOn(new Promise(() => {}))));`,
    'a Pool tasklet killed inside a scope': `
      const pool = new T.Pool(1);
      pool.spawn(() => T.withTimeout(60000, () => T.sleep(60000)));
      pool.spawn(() => T.withTimeout(60000, () => T.sleep(60000)));
      setTimeout(() => pool.kill(), 10);`,
  };
  for (const [name, code] of Object.entries(cases)) {
    it(name, () => {
      const r = runChild(`${code}\nprocess.on('exit', () => console.log('exit', T.stats().liveTasklets));`, { timeoutMs: 10_000 });
      const out = `${r.stdout}${r.stderr}`;
      expect(r.timedOut, out).toBe(false);
      expect(r.status, out).toBe(0);
      expect(r.stdout.trim(), out).toBe('exit 0');
    });
  }
});
