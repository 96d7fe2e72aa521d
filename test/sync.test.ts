import { describe, expect, it } from 'vitest';
import { BoundedSemaphore, Event, Lock, Semaphore, TaskletError, schedule, sleep, spawn } from '../dist/cjs/index.js';
import { nextMacrotask, runChild } from './helpers';

const inMain = expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' });

describe('Event', () => {
  it('set(), clear(), isSet', () => {
    const ev = new Event();
    expect(ev.isSet).toBe(false);
    ev.set();
    ev.set();
    expect(ev.isSet).toBe(true);
    ev.clear();
    expect(ev.isSet).toBe(false);
  });

  it('set() wakes every waiter, tasklets and Promises', async () => {
    const ev = new Event();
    const waiters = [1, 2, 3].map((i) => spawn(() => (ev.wait() ? i : -i)));
    const promises = [ev.waitAsync(), ev.waitAsync(1_000)];
    await nextMacrotask();
    expect(waiters.every((t) => t.blocked)).toBe(true);
    ev.set();
    expect(await Promise.all(waiters.map((t) => t.result))).toEqual([1, 2, 3]);
    expect(await Promise.all(promises)).toEqual([true, true]);
  });

  it('wait() returns at once while set; wait(ms) gives false when ms passes; wait(0) never blocks', async () => {
    const ev = new Event();
    const r = await spawn(() => {
      const timed = ev.wait(10);
      const zero = ev.wait(0);
      ev.set();
      return [timed, zero, ev.wait(), ev.wait(0)];
    }).result;
    expect(r).toEqual([false, false, true, true]);
    expect(await new Event().waitAsync(10)).toBe(false);
    expect(await new Event().waitAsync(0)).toBe(false);
    expect(await ev.waitAsync()).toBe(true);
  });

  it('a waiter woken by set() returns true even if clear() follows before it runs', async () => {
    const ev = new Event();
    const t = spawn(() => ev.wait());
    await nextMacrotask();
    ev.set();
    ev.clear();
    expect(await t.result).toBe(true);
  });

  it('misuse: wait() in main, bad ms', async () => {
    const ev = new Event();
    expect(() => ev.wait()).toThrow(inMain);
    expect(() => ev.wait()).toThrow(/waitAsync\(\)/);
    expect(() => ev.wait(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"ms"') }));
    expect(() => ev.wait('1' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await expect(ev.waitAsync(NaN)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('a waiter killed while waiting is gone: set() afterwards wakes only the others', async () => {
    const ev = new Event();
    const killed = spawn(() => ev.wait());
    const other = spawn(() => ev.wait());
    await nextMacrotask();
    killed.kill();
    expect(await killed.result).toBe(undefined);
    ev.set();
    expect(await other.result).toBe(true);
  });
});

describe('Semaphore', () => {
  it('value, locked, tryAcquire(), acquire() without waiting, release()', async () => {
    const sem = new Semaphore(2);
    expect([sem.value, sem.locked]).toEqual([2, false]);
    expect(sem.tryAcquire()).toBe(true);
    expect(await spawn(() => sem.acquire()).result).toBe(true);
    expect([sem.value, sem.locked]).toEqual([0, true]);
    expect(sem.tryAcquire()).toBe(false);
    sem.release();
    sem.release();
    sem.release(); // a plain Semaphore may go above its initial value
    expect(sem.value).toBe(3);
    expect(new Semaphore().value).toBe(1);
  });

  it('waiters get permits in arrival order', async () => {
    const sem = new Semaphore(0);
    const order: number[] = [];
    const ts = [1, 2, 3, 4].map((i) => spawn(() => (sem.acquire(), order.push(i))));
    await nextMacrotask();
    for (let i = 0; i < 4; i++) {
      sem.release();
      await nextMacrotask();
    }
    await Promise.all(ts.map((t) => t.result));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('a permit released while a tasklet waits goes to it, not to a later arrival', async () => {
    const sem = new Semaphore(1);
    const log: string[] = [];
    const a = spawn(() => {
      sem.acquire();
      sleep(10); // b starts waiting meanwhile
      sem.release(); // handed to b, which has not run yet
      log.push(`a tryAcquire ${sem.tryAcquire()}`);
      sem.acquire(); // waits behind b
      log.push('a again');
      sem.release();
    });
    const b = spawn(() => {
      sem.acquire();
      log.push('b');
      sem.release();
    });
    await Promise.all([a.result, b.result]);
    expect(log).toEqual(['a tryAcquire false', 'b', 'a again']);
    expect(sem.value).toBe(1);
  });

  it('acquire(ms) gives false when ms passes, consuming nothing; acquire(0) never blocks', async () => {
    const sem = new Semaphore(0);
    expect(await spawn(() => [sem.acquire(10), sem.acquire(0)]).result).toEqual([false, false]);
    sem.release();
    expect(sem.value).toBe(1);
  });

  it('a waiter killed while waiting consumes no permit', async () => {
    const sem = new Semaphore(0);
    const t = spawn(() => sem.acquire());
    await nextMacrotask();
    t.kill();
    sem.release();
    expect(sem.value).toBe(1);
  });

  it('a permit handed to a waiter that is killed before it runs passes to the next waiter', async () => {
    const sem = new Semaphore(0);
    const first = spawn(() => sem.acquire());
    const second = spawn(() => (sem.acquire(), 'second got it'));
    await nextMacrotask();
    sem.release(); // to first: woken, not yet run
    first.kill(); // it runs only to die
    expect(await second.result).toBe('second got it');
    expect(sem.value).toBe(0);
  });

  it('acquireAsync(): at once when free, in turn with tasklets, false when ms passes', async () => {
    const sem = new Semaphore(1);
    expect(await sem.acquireAsync()).toBe(true);
    expect(await sem.acquireAsync(10)).toBe(false);
    expect(await sem.acquireAsync(0)).toBe(false);
    const order: string[] = [];
    const t = spawn(() => (sem.acquire(), order.push('tasklet')));
    await nextMacrotask();
    const p = sem.acquireAsync().then(() => order.push('promise'));
    sem.release();
    await t.result;
    sem.release();
    await p;
    expect(order).toEqual(['tasklet', 'promise']);
    await expect(sem.acquireAsync(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it("use(fn) returns fn's value and releases even when fn throws", async () => {
    const sem = new Semaphore(1);
    expect(await spawn(() => sem.use(() => 7)).result).toBe(7);
    await expect(spawn(() => sem.use(() => { throw new Error('boom'); })).result).rejects.toThrow('boom');
    expect(sem.value).toBe(1);
  });

  it('misuse: bad n, acquire()/use() in main, bad fn', () => {
    for (const n of [-1, 1.5, NaN]) expect(() => new Semaphore(n)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"n"') }));
    expect(() => new Semaphore('2' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const sem = new Semaphore();
    expect(() => sem.acquire()).toThrow(inMain);
    expect(() => sem.acquire()).toThrow(/acquireAsync\(\)/);
    expect(() => sem.acquire(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => sem.use(() => 1)).toThrow(inMain);
    expect(() => sem.use(42 as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"fn"') }));
    expect(() => sem.use(async () => 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(sem.value).toBe(1);
  });
});

describe('BoundedSemaphore and Lock', () => {
  it('BoundedSemaphore: releasing above the initial value is ERR_SEMAPHORE_RELEASED', () => {
    const sem = new BoundedSemaphore(2);
    expect(sem).toBeInstanceOf(Semaphore);
    expect(sem.tryAcquire()).toBe(true);
    sem.release();
    let err: unknown;
    try {
      sem.release();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TaskletError);
    expect(err).toMatchObject({ code: 'ERR_SEMAPHORE_RELEASED' });
    expect((err as Error).message).toBe(
      'BoundedSemaphore#release(): released more often than acquired (the initial value is 2); a BoundedSemaphore never exceeds it',
    );
    expect(sem.value).toBe(2);
  });

  it('Lock: one holder at a time; releasing a free lock is ERR_SEMAPHORE_RELEASED', async () => {
    const lock = new Lock();
    expect(lock).toBeInstanceOf(BoundedSemaphore);
    expect(lock.value).toBe(1);
    expect(() => lock.release()).toThrow(expect.objectContaining({ code: 'ERR_SEMAPHORE_RELEASED', message: expect.stringContaining('Lock#release()') }));
    let inside = 0;
    let most = 0;
    const ts = [1, 2, 3].map(() =>
      spawn(() =>
        lock.use(() => {
          most = Math.max(most, ++inside);
          schedule();
          sleep(1);
          inside--;
        }),
      ),
    );
    await Promise.all(ts.map((t) => t.result));
    expect(most).toBe(1);
    expect(lock.locked).toBe(false);
  });
});

describe('killing waiters leaves nothing behind (child process)', () => {
  it('tasklets killed in Event#wait(ms), acquire(ms), join(ms), joinAll(ms), Pool#map(), use(): no timer, no live tasklet', () => {
    const r = runChild(
      `
      const ev = new T.Event();
      const sem = new T.Semaphore(0);
      const sleeper = T.spawn(() => T.blockOn(new Promise(() => {})));
      const ts = [
        T.spawn(() => ev.wait(60000)),
        T.spawn(() => sem.acquire(60000)),
        T.spawn(() => sleeper.join(60000)),
        T.spawn(() => T.withTimeout(60000, () => ev.wait())),
        T.spawn(() => T.joinAll([sleeper], 60000)),
        T.spawn(() => new T.Pool(1).map(() => ev.wait(60000), [1, 2])),
        T.spawn(() => new T.Lock().use(() => sem.acquire())),
      ];
      const p1 = ev.waitAsync();
      setTimeout(() => {
        for (const t of ts) t.kill();
        sleeper.kill();
        console.log(sem.value, T.stats().liveTasklets);
      }, 20);
      process.on('exit', () => console.log('exit', T.stats().liveTasklets));`,
      { timeoutMs: 10_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['0 0', 'exit 0']);
  });
});



