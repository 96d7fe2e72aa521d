import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { describe, expect, it, vi } from 'vitest';
import {
  TaskletError,
  TaskletExit,
  blockOn,
  blockingTasklet,
  deferredTasklet,
  getcurrent,
  schedule,
  sleep,
  spawn,
} from '../dist/cjs/index.js';
import { nextMacrotask, runChild } from './helpers';

describe('blockOn()', () => {
  it('returns the value of a promise that settles later', async () => {
    const t = spawn(() => blockOn(new Promise((r) => setTimeout(() => r('later'), 10))));
    expect(await t.result).toBe('later');
  });

  it('returns at once, without a switch, for an already-settled native promise', async () => {
    const log: string[] = [];
    const settled = Promise.resolve('now');
    spawn(() => {
      log.push(`a got ${blockOn(settled)}`);
      log.push('a still running');
    });
    spawn(() => log.push('b ran'));
    await nextMacrotask();
    expect(log).toEqual(['a got now', 'a still running', 'b ran']);
  });

  it('suspends the tasklet and lets others run while a promise is pending', async () => {
    const log: string[] = [];
    const a = spawn(() => {
      log.push(`a got ${blockOn(Promise.resolve().then(() => 'micro'))}`);
    });
    const b = spawn(() => log.push('b ran'));
    // Wait for both rather than for one macrotask: on a loaded machine the
    // time slice may end between them (a strand switch can take >10 ms).
    await Promise.all([a.result, b.result]);
    expect(log).toEqual(['b ran', 'a got micro']);
  });

  it('throws the rejection reason itself', async () => {
    const reason = new Error('no');
    const pending = spawn(() => {
      try {
        blockOn(new Promise((_, reject) => setTimeout(() => reject(reason), 1)));
      } catch (e) {
        return e;
      }
    });
    expect(await pending.result).toBe(reason);
    const already = Promise.reject(reason);
    const settled = spawn(() => {
      try {
        blockOn(already);
      } catch (e) {
        return e;
      }
    });
    expect(await settled.result).toBe(reason);
  });

  it('leaves no unhandled rejection for a rejected promise it consumed', () => {
    // The tasklet starts in this tick's microtasks, before Node looks for
    // unhandled rejections: consuming the rejection must count as handling it.
    const r = runChild(`
      process.on('unhandledRejection', (e) => { console.log('UNHANDLED', e.message); process.exitCode = 9; });
      const p = Promise.reject(new Error('seen'));
      T.spawn(() => { try { T.blockOn(p); } catch (e) { console.log('caught', e.message); } });
    `);
    expect(r.timedOut).toBe(false);
    expect(r.stdout.trim()).toBe('caught seen');
    expect(r.status).toBe(0);
  });

  it('...also when tasklets already spent the time slice in this macrotask', () => {
    const r = runChild(`
      process.on('unhandledRejection', (e) => { console.log('UNHANDLED', e.message); process.exitCode = 9; });
      (async () => {
        await T.spawn(() => { const end = Date.now() + 30; while (Date.now() < end); }).result; // 3 slices
        const p = Promise.reject(new Error('seen'));
        T.spawn(() => { try { T.blockOn(p); } catch (e) { console.log('caught', e.message); } });
      })();
    `);
    expect(r.timedOut).toBe(false);
    expect(r.stdout.trim()).toBe('caught seen');
    expect(r.status).toBe(0);
  });

  it('returns non-thenables as they are, and waits for other thenables', async () => {
    const obj = { a: 1 };
    const thenable = { then: (resolve: (v: string) => void) => setTimeout(() => resolve('thenable'), 1) };
    const t = spawn(() => [blockOn(5), blockOn(obj), blockOn(null), blockOn(thenable)]);
    const [five, o, n, th] = await t.result;
    expect(five).toBe(5);
    expect(o).toBe(obj);
    expect(n).toBe(null);
    expect(th).toBe('thenable');
  });

  it('in main throws ERR_BLOCKING_IN_MAIN naming await', () => {
    let err: unknown;
    try {
      blockOn(Promise.resolve(1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TaskletError);
    expect((err as TaskletError).code).toBe('ERR_BLOCKING_IN_MAIN');
    expect((err as Error).message).toBe('blockOn() cannot block the main thread; use await');
  });

  it('resumes a tasklet woken by a promise settled in a microtask in that same macrotask', async () => {
    const log: string[] = [];
    spawn(() => {
      blockOn(Promise.resolve().then(() => undefined));
      log.push('resumed');
    });
    setImmediate(() => log.push('immediate'));
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['resumed', 'immediate']);
  });
});

describe('sleep()', () => {
  it('suspends the tasklet for about ms milliseconds', async () => {
    const t = spawn(() => {
      const start = Date.now();
      sleep(30);
      return Date.now() - start;
    });
    expect(await t.result).toBeGreaterThanOrEqual(25);
  });

  it('validates ms and refuses main', () => {
    expect(() => sleep(-1)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => sleep(NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => sleep('1' as never)).toThrow(/"ms" argument must be of type number/);
    expect(() => sleep(1)).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
    expect(() => sleep(1)).toThrow(/timers\/promises/);
  });

  it('sleeps longer than setTimeout allows (2 ** 31 ms and more) by chaining timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const t = spawn(() => sleep(2 ** 31 + 5_000));
      await nextMacrotask();
      expect(t.blocked).toBe(true);
      vi.advanceTimersByTime(2 ** 31 - 1);
      await nextMacrotask();
      expect(t.blocked).toBe(true);
      vi.advanceTimersByTime(5_000);
      await nextMacrotask();
      expect(t.blocked).toBe(true);
      vi.advanceTimersByTime(1);
      await t.result;
      expect(t.alive).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sleep(2 ** 31), sleep(3e9) and sleep(Infinity) keep sleeping, with no warning, until killed', () => {
    const r = runChild(
      `const ts = [2 ** 31, 3e9, Infinity].map((ms) => T.spawn(() => T.sleep(ms)));
       const keep = setTimeout(() => {}, 10_000);
       setTimeout(() => {
         console.log(ts.map((t) => t.blocked).join());
         for (const t of ts) t.kill();
         console.log(ts.map((t) => t.alive).join());
         clearTimeout(keep);
       }, 200);`,
      { timeoutMs: 10_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(r.stdout).toBe('true,true,true\nfalse,false,false\n');
    expect(r.status).toBe(0);
  });

  it('a tasklet killed or thrown into while it sleeps leaves no timer: the process exits at once', () => {
    const r = runChild(
      `const start = Date.now();
       const a = T.spawn(() => { try { T.sleep(60_000); } finally { console.log('a finally'); } });
       const b = T.spawn(() => { try { T.sleep(60_000); } catch (e) { console.log('b caught ' + e.message); } });
       setTimeout(() => { a.kill(); b.throw(new Error('stop')); }, 10);
       process.on('exit', () => console.log(Date.now() - start < 2_000 ? 'exited promptly' : 'exited late'));`,
      { timeoutMs: 20_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('a finally\nb caught stop\nexited promptly\n');
    expect(r.status).toBe(0);
  });

  it('1000 tasklets blocked on timers all finish', async () => {
    let done = 0;
    const ts = Array.from({ length: 1000 }, (_, i) =>
      spawn(() => {
        sleep(20 + (i % 10));
        done++;
      }),
    );
    await Promise.all(ts.map((t) => t.result));
    expect(done).toBe(1000);
  });
});

describe('blockOn() and kill()', () => {
  it('a killed tasklet is let go by the promise it waited on (collectable before it settles)', () => {
    const r = runChild(
      `const never = new Promise(() => {});
       globalThis.keep = never;
       const reg = new FinalizationRegistry((what) => console.log(what + ' collected'));
       (() => {
         const t = T.spawn(() => T.blockOn(never));
         reg.register(t, 'tasklet');
         setTimeout(() => t.kill(), 10);
       })();
       (async () => {
         await new Promise((r) => setTimeout(r, 50));
         for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
       })();`,
      { flags: ['--expose-gc'], timeoutMs: 10_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('tasklet collected\n');
  });
});

describe('deferredTasklet()', () => {
  it('runs fn in a new tasklet and returns a Promise of its result', async () => {
    const f = deferredTasklet((a: number) => {
      const inTasklet = !getcurrent().isMain;
      sleep(1);
      return [a + 1, inTasklet];
    });
    expect(await f(1)).toEqual([2, true]);
  });

  it('filters TaskletExit to undefined and rejects with other errors', async () => {
    const exits = deferredTasklet(() => {
      throw new TaskletExit();
    });
    expect(await exits()).toBeUndefined();
    const err = new Error('bad');
    const fails = deferredTasklet(() => {
      throw err;
    });
    await expect(fails()).rejects.toBe(err);
    expect(() => deferredTasklet(1 as never)).toThrow(/"fn" argument/);
  });
});

describe('blockingTasklet()', () => {
  it('in a tasklet: runs fn in a new tasklet and blocks until it ends', async () => {
    const inner = blockingTasklet((x: number) => {
      sleep(5);
      return [x * 2, getcurrent().id];
    });
    const t = spawn(() => {
      const [v, innerId] = inner(21) as [number, number];
      return [v, innerId !== getcurrent().id];
    });
    expect(await t.result).toEqual([42, true]);
  });

  it('rethrows errors and filters TaskletExit', async () => {
    const err = new Error('inner');
    const failing = blockingTasklet(() => {
      throw err;
    });
    const exiting = blockingTasklet(() => getcurrent().kill());
    const t = spawn(() => {
      let caught: unknown;
      try {
        failing();
      } catch (e) {
        caught = e;
      }
      return [caught, exiting()];
    });
    const [caught, exitValue] = await t.result;
    expect(caught).toBe(err);
    expect(exitValue).toBeUndefined();
  });

  it('in main throws ERR_BLOCKING_IN_MAIN naming deferredTasklet', () => {
    const f = blockingTasklet(() => 1);
    expect(() => f()).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
    expect(() => f()).toThrow(/deferredTasklet/);
  });
});

describe('async context', () => {
  it('AsyncLocalStorage is kept per tasklet across blockOn and schedule', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const body = (name: string) => () =>
      als.run(name, () => {
        seen.push(`${name}:${als.getStore()}`);
        blockOn(new Promise((r) => setTimeout(r, 5)));
        seen.push(`${name}:${als.getStore()}`);
        schedule();
        seen.push(`${name}:${als.getStore()}`);
        sleep(1);
        return als.getStore();
      });
    const ts = ['a', 'b', 'c'].map((n) => spawn(body(n)));
    const results = await Promise.all(ts.map((t) => t.result));
    expect(results).toEqual(['a', 'b', 'c']);
    for (const s of seen) expect(s.split(':')[0]).toBe(s.split(':')[1]);
    expect(als.getStore()).toBeUndefined();
  });

  it('tasklets interleaving through schedule() alone each see their own store', async () => {
    const als = new AsyncLocalStorage<string>();
    const wrong: string[] = [];
    const ts = ['a', 'b', 'c'].map((name) =>
      spawn(() =>
        als.run(name, () => {
          for (let i = 0; i < 5; i++) {
            schedule();
            if (als.getStore() !== name) wrong.push(`${name} saw ${als.getStore()}`);
          }
        }),
      ),
    );
    await Promise.all(ts.map((t) => t.result));
    expect(wrong).toEqual([]);
  });

  it('tasklets woken by the same settled promise each see their own store', async () => {
    const als = new AsyncLocalStorage<string>();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const ts = ['a', 'b', 'c', 'd'].map((name) =>
      spawn(() =>
        als.run(name, () => {
          blockOn(gate);
          return als.getStore();
        }),
      ),
    );
    await nextMacrotask();
    als.run('opener', () => open());
    expect(await Promise.all(ts.map((t) => t.result))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a tasklet inherits the store of the code that created it, and run() restores it', async () => {
    const als = new AsyncLocalStorage<string>();
    const t = als.run('outer', () =>
      spawn(() => {
        const first = als.getStore();
        const inner = als.run('inner', () => {
          sleep(2);
          return als.getStore();
        });
        schedule();
        return [first, inner, als.getStore()];
      }),
    );
    expect(await t.result).toEqual(['outer', 'inner', 'outer']);
  });

  it('may suspend inside runInAsyncScope (more in test/async-context.test.ts)', async () => {
    const resource = new AsyncResource('test');
    const t = spawn(() => resource.runInAsyncScope(() => blockOn(new Promise((r) => setTimeout(() => r('resumed'), 1)))));
    expect(await t.result).toBe('resumed');
  });
});
