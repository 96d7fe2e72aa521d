import { describe, expect, it } from 'vitest';
import { Pool, Tasklet, schedule, sleep, spawn } from '../dist/cjs/index.js';
import { nextMacrotask, runChild, seeded } from './helpers';


describe('Pool#spawn()', () => {
  it('never blocks; beyond size, tasklets wait unstarted and start in spawn order as slots free', async () => {
    const pool = new Pool(2);
    expect(pool.size).toBe(2);
    const order: number[] = [];
    const ts = [1, 2, 3, 4, 5].map((i) =>
      pool.spawn((n: number) => {
        order.push(n);
        sleep(5);
        return n * 10;
      }, i),
    );
    expect([pool.running, pool.waiting]).toEqual([2, 3]);
    expect(ts.map((t) => t.alive)).toEqual([true, true, false, false, false]);
    expect(await Promise.all(ts.map((t) => t.result))).toEqual([10, 20, 30, 40, 50]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect([pool.running, pool.waiting]).toEqual([0, 0]);
  });

  it('killing a tasklet waiting for a slot removes it from the wait; its result settles', async () => {
    const pool = new Pool(1);
    const ran: string[] = [];
    const first = pool.spawn(() => (sleep(10), ran.push('first')));
    const waiting = pool.spawn(() => ran.push('killed one'));
    const last = pool.spawn(() => ran.push('last'));
    expect(pool.waiting).toBe(2);
    waiting.kill();
    expect(pool.waiting).toBe(1);
    expect(await waiting.result).toBe(undefined);
    await Promise.all([first.result, last.result]);
    expect(ran).toEqual(['first', 'last']);
  });

  it('misuse: bad size, bad fn', () => {
    for (const n of [0, -1, 1.5, NaN]) expect(() => new Pool(n)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"size"') }));
    expect(() => new Pool('2' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const pool = new Pool(1);
    expect(() => pool.spawn(42 as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"fn"') }));
    expect(() => pool.spawn(async () => 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect([pool.running, pool.waiting]).toEqual([0, 0]);
  });
});

describe('Pool#map() and mapAsync()', () => {
  it('returns results in input order, at most size at once', async () => {
    const pool = new Pool(3);
    let inside = 0;
    let most = 0;
    const r = await spawn(() =>
      pool.map((x: number) => {
        most = Math.max(most, ++inside);
        sleep(10 - x);
        inside--;
        return x * x;
      }, new Set([1, 2, 3, 4, 5, 6, 7])),
    ).result;
    expect(r).toEqual([1, 4, 9, 16, 25, 36, 49]);
    expect(most).toBe(3);
    expect(await spawn(() => pool.map((x) => x, [])).result).toEqual([]);
  });

  it('the first error kills the rest (their finally blocks run) and is thrown', async () => {
    const pool = new Pool(2);
    const log: string[] = [];
    const err = await spawn(() => {
      try {
        pool.map((x: number) => {
          try {
            sleep(x === 2 ? 5 : 10_000);
            if (x === 2) throw new Error(`failed ${x}`);
          } finally {
            log.push(`finally ${x}`);
          }
        }, [1, 2, 3, 4]);
      } catch (e) {
        return e;
      }
    }).result;
    expect((err as Error).message).toBe('failed 2');
    // 1 and 3 ran (3 took 2's slot); 4 never started.
    expect(log.sort()).toEqual(['finally 1', 'finally 2', 'finally 3']);
    expect([pool.running, pool.waiting]).toEqual([0, 0]);
  });

  it('a mapping tasklet killed meanwhile kills the mapped ones', async () => {
    const pool = new Pool(2);
    const mapper = spawn(() => pool.map(() => sleep(10_000), [1, 2, 3]));
    await nextMacrotask();
    expect([pool.running, pool.waiting]).toEqual([2, 1]);
    mapper.kill();
    expect(await mapper.result).toBe(undefined);
    expect([pool.running, pool.waiting]).toEqual([0, 0]);
  });

  it('mapAsync() in main; map() in main is ERR_BLOCKING_IN_MAIN naming mapAsync()', async () => {
    const pool = new Pool(2);
    expect(await pool.mapAsync((x: number) => (sleep(1), x + 1), [1, 2, 3])).toEqual([2, 3, 4]);
    await expect(pool.mapAsync((x: number) => { if (x > 1) throw new Error('no'); }, [1, 2])).rejects.toThrow('no');
    expect(() => pool.map((x) => x, [1])).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN', message: expect.stringContaining('mapAsync()') }));
    expect(() => pool.map((x) => x, 5 as unknown as number[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"iterable"') }));
    await expect(pool.mapAsync((x) => x, null as unknown as number[])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect([pool.running, pool.waiting]).toEqual([0, 0]);
  });
});

describe('Pool#join(), joinAsync(), kill()', () => {
  it('join(ms) waits until no tasklet runs or waits; false when ms passes', async () => {
    const pool = new Pool(1);
    pool.spawn(() => sleep(10));
    pool.spawn(() => sleep(10));
    const r = await spawn(() => [pool.join(1), pool.join(), pool.join(0)]).result;
    expect(r).toEqual([false, true, true]);
    expect(() => pool.join()).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN', message: expect.stringContaining('joinAsync()') }));
    expect(() => pool.join(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    pool.spawn(() => sleep(5));
    expect(await pool.joinAsync(0)).toBe(false);
    expect(await pool.joinAsync()).toBe(true);
  });

  it('kill() ends waiting tasklets without starting them and kills running ones', async () => {
    const pool = new Pool(2);
    const started: number[] = [];
    const ts = [1, 2, 3, 4].map((i) => pool.spawn(() => (started.push(i), sleep(10_000))));
    await nextMacrotask();
    pool.kill();
    expect(await Promise.all(ts.map((t) => t.result))).toEqual([undefined, undefined, undefined, undefined]);
    expect(started).toEqual([1, 2]);
    expect([pool.running, pool.waiting]).toEqual([0, 0]);
  });
});

describe('Pool under random kills', () => {
  it('keeps running <= size, settles every result and frees every slot (seeded, 300 rounds)', async () => {
    const random = seeded(13);
    const pool = new Pool(3);
    let inside = 0;
    let most = 0;
    const all: Tasklet[] = [];
    let violations = 0;
    const driver = spawn(() => {
      for (let round = 0; round < 300; round++) {
        const r = random();
        if (r < 0.45) {
          const steps = Math.floor(random() * 4);
          all.push(
            pool.spawn(() => {
              most = Math.max(most, ++inside);
              try {
                for (let i = 0; i < steps; i++) {
                  if (i % 2 === 0) schedule();
                  else sleep(1);
                }
                return steps;
              } finally {
                inside--;
              }
            }),
          );
        } else if (r < 0.7 && all.length > 0) {
          all[Math.floor(random() * all.length)].kill();
        } else if (r < 0.85) {
          schedule();
        } else {
          sleep(Math.floor(random() * 3));
        }
        if (pool.running > pool.size || inside > pool.size) violations++;
      }
      pool.join();
    });
    await driver.result;
    const results = await Promise.allSettled(all.map((t) => t.result));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(violations).toBe(0);
    expect(most).toBeLessThanOrEqual(3);
    expect([pool.running, pool.waiting, inside]).toEqual([0, 0, 0]);
    expect(all.every((t) => !t.alive)).toBe(true);
    expect(all.length).toBeGreaterThan(100);
  });

  it('a process whose pool tasklets were killed exits promptly', () => {
    const r = runChild(
      `
      const pool = new T.Pool(2);
      const ts = [1, 2, 3, 4].map(() => pool.spawn(() => T.withTimeout(60000, () => T.sleep(60000))));
      setTimeout(() => { ts[3].kill(); ts[0].kill(); pool.kill(); }, 20);
      process.on('exit', () => console.log('exit', pool.running, pool.waiting, T.stats().liveTasklets));`,
      { timeoutMs: 10_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('exit 0 0 0');
  });

  it('at exit, the exit pass ends the running tasklets and then the waiting ones as their slots free', () => {
    const r = runChild(
      `
      const pool = new T.Pool(1);
      for (const i of [1, 2, 3]) pool.spawn(() => { try { T.blockOn(new Promise(() => {})); } finally { console.log('finally', i); } });
      process.on('exit', () => console.log('exit', pool.running, pool.waiting, T.stats().liveTasklets));`,
      { timeoutMs: 10_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['finally 1', 'finally 2', 'finally 3', 'exit 0 0 0']);
  });
});
