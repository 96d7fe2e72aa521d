import { describe, expect, it } from 'vitest';
import { Tasklet, TaskletError, getcurrent, getmain, joinAll, killAll, killAllAsync, sleep, spawn } from '../dist/cjs/index.js';
import { nextMacrotask } from './helpers';

describe('tasklet.join()', () => {
  it('blocks until the tasklet ends (true); at once for an ended one', async () => {
    const log: string[] = [];
    const worker = spawn(() => {
      sleep(10);
      log.push('worker done');
    });
    const r = await spawn(() => {
      const ended = worker.join();
      log.push('joined');
      return [ended, worker.join(), worker.join(0)];
    }).result;
    expect(r).toEqual([true, true, true]);
    expect(log).toEqual(['worker done', 'joined']);
  });

  it('join(ms) gives false when ms passes; join(0) never blocks', async () => {
    const sleeper = spawn(() => sleep(10_000));
    expect(await spawn(() => [sleeper.join(10), sleeper.join(0)]).result).toEqual([false, false]);
    sleeper.kill();
  });

  it('wakes every joiner, including when the tasklet is killed or fails', async () => {
    const failing = spawn(() => {
      sleep(5);
      throw new Error('boom');
    });
    failing.result.catch(() => {});
    const killed = spawn(() => sleep(10_000));
    const joiners = [failing, failing, killed].map((t) => spawn(() => t.join()));
    await nextMacrotask();
    killed.kill();
    expect(await Promise.all(joiners.map((t) => t.result))).toEqual([true, true, true]);
  });

  it('a joiner killed while joining leaves the joined tasklet alone', async () => {
    const target = spawn(() => sleep(20));
    const joiner = spawn(() => target.join());
    await nextMacrotask();
    joiner.kill();
    expect(joiner.alive).toBe(false);
    await target.result;
    expect(target.alive).toBe(false);
  });

  it('misuse: the current tasklet, main, in main, bad ms', async () => {
    const err = await spawn(() => {
      try {
        getcurrent().join();
      } catch (e) {
        return e;
      }
    }).result;
    expect(err).toBeInstanceOf(TaskletError);
    expect(err).toMatchObject({ code: 'ERR_TASKLET_CURRENT', message: 'join(): the tasklet is the current one' });
    expect(() => getmain().join()).toThrow(expect.objectContaining({ code: 'ERR_MAIN_TASKLET' }));
    const t = spawn(() => sleep(1));
    expect(() => t.join()).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN', message: expect.stringContaining('joinAsync()') }));
    expect(() => t.join(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"ms"') }));
    expect(() => t.join('1' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await t.result;
  });
});

describe('tasklet.joinAsync()', () => {
  it('resolves true when the tasklet ends, false when ms passes first; rejects misuse', async () => {
    const t = spawn(() => sleep(20));
    expect(await t.joinAsync(1)).toBe(false);
    expect(await t.joinAsync(0)).toBe(false);
    expect(await t.joinAsync()).toBe(true);
    expect(await t.joinAsync(0)).toBe(true);
    expect(await new Tasklet(() => 1).joinAsync(5)).toBe(false); // never set up
    await expect(getmain().joinAsync()).rejects.toMatchObject({ code: 'ERR_MAIN_TASKLET' });
    await expect(t.joinAsync(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('joinAll()', () => {
  it('true when all ended in time, false when ms passed first', async () => {
    const quick = [1, 2, 3].map((i) => spawn(() => sleep(i)));
    const slow = spawn(() => sleep(10_000));
    const r = await spawn(() => [joinAll(quick), joinAll([...quick, slow], 20), joinAll([])]).result;
    expect(r).toEqual([true, false, true]);
    slow.kill();
  });

  it('misuse: not iterable, not a tasklet, main, the current tasklet, in main', async () => {
    expect(() => joinAll(42 as unknown as Tasklet[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"tasklets"') }));
    expect(() => joinAll([1] as unknown as Tasklet[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"tasklets[0]"') }));
    expect(() => joinAll([getmain()])).toThrow(expect.objectContaining({ code: 'ERR_MAIN_TASKLET' }));
    expect(() => joinAll([])).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
    expect(() => joinAll([], -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const err = await spawn(() => {
      try {
        joinAll([getcurrent()]);
      } catch (e) {
        return e;
      }
    }).result;
    expect(err).toMatchObject({ code: 'ERR_TASKLET_CURRENT' });
  });
});

describe('killAll() and killAllAsync()', () => {
  it('killAll() kills each (finally blocks run, even ones that wait) and returns when all ended', async () => {
    const log: string[] = [];
    const ts = [1, 2].map((i) =>
      spawn(() => {
        try {
          sleep(10_000);
        } finally {
          sleep(5);
          log.push(`finally ${i}`);
        }
      }),
    );
    await nextMacrotask();
    await spawn(() => {
      killAll(ts);
      log.push('killAll returned');
    }).result;
    expect(log).toEqual(['finally 1', 'finally 2', 'killAll returned']);
  });

  it('killAll() in main is ERR_BLOCKING_IN_MAIN naming killAllAsync(); killAllAsync() resolves when all ended', async () => {
    const log: string[] = [];
    const t = spawn(() => {
      try {
        sleep(10_000);
      } finally {
        sleep(5);
        log.push('finally');
      }
    });
    await nextMacrotask();
    expect(() => killAll([t])).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN', message: expect.stringContaining('killAllAsync()') }));
    expect(t.alive).toBe(true);
    await killAllAsync([t]);
    expect(log).toEqual(['finally']);
    expect(t.alive).toBe(false);
    await expect(killAllAsync([getmain()])).rejects.toMatchObject({ code: 'ERR_MAIN_TASKLET' });
    await expect(killAllAsync(5 as unknown as Tasklet[])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('killAll() of the current tasklet is ERR_TASKLET_CURRENT (nothing killed)', async () => {
    const other = spawn(() => sleep(10_000));
    const err = await spawn(() => {
      try {
        killAll([other, getcurrent()]);
      } catch (e) {
        return e;
      }
    }).result;
    expect(err).toMatchObject({ code: 'ERR_TASKLET_CURRENT' });
    expect(other.alive).toBe(true);
    other.kill();
  });
});
