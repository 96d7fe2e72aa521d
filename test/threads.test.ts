import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ThreadPool,
  TaskletError,
  blockingCallFromThread,
  callFromThread,
  callInThread,
  callMultipleInThread,
  deferToThread,
  exposeToThreads,
  suggestThreadPoolSize,
} from '../dist/cjs/index.js';
import { DIST, runChild } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasklet-threads-'));
const cjsModule = path.join(dir, 'tasks.cjs');
const esmModule = path.join(dir, 'tasks.mjs');
fs.writeFileSync(cjsModule, 'exports.square = (x) => x * x;\nmodule.exports.default = (x) => -x;\n');
fs.writeFileSync(esmModule, 'export const cube = (x) => x ** 3;\nexport default async (x) => `esm ${x}`;\n');

const pools: ThreadPool[] = [];
function pool(options?: ConstructorParameters<typeof ThreadPool>[0]): ThreadPool {
  const p = new ThreadPool(options);
  pools.push(p);
  return p;
}
/** Matches an error with Node's argument-error `code` and class whose message names `name`. */
function argError(code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE', name: string) {
  const cls = code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError;
  return expect.objectContaining({ code, constructor: cls, message: expect.stringContaining(name) });
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('new ThreadPool()', () => {
  it('defaults to 5..10 workers and validates options, naming them', () => {
    const p = pool();
    expect([p.minThreads, p.maxThreads]).toEqual([5, 10]);
    expect(() => new ThreadPool({ minThreads: -1 })).toThrow(argError('ERR_OUT_OF_RANGE', '"options.minThreads"'));
    expect(() => new ThreadPool({ maxThreads: 0 })).toThrow(argError('ERR_OUT_OF_RANGE', '"options.maxThreads"'));
    expect(() => new ThreadPool({ maxThreads: 2.5 })).toThrow(argError('ERR_OUT_OF_RANGE', '"options.maxThreads"'));
    expect(() => new ThreadPool({ maxThreads: Infinity })).toThrow(argError('ERR_OUT_OF_RANGE', '"options.maxThreads"'));
    expect(() => new ThreadPool({ minThreads: 4, maxThreads: 2 })).toThrow(
      argError('ERR_OUT_OF_RANGE', 'The value of "options.minThreads" is out of range. It must be <= options.maxThreads (2). Received 4'),
    );
    expect(() => new ThreadPool({ idleTimeout: 'x' as never })).toThrow(argError('ERR_INVALID_ARG_TYPE', '"options.idleTimeout"'));
    // setTimeout would fire a longer delay at once.
    expect(() => new ThreadPool({ idleTimeout: 2 ** 31 })).toThrow(argError('ERR_OUT_OF_RANGE', '"options.idleTimeout"'));
    expect(() => new ThreadPool({ maxThread: 2 } as never)).toThrow(argError('ERR_INVALID_ARG_VALUE', "'options.maxThread' is not a known option"));
    expect(() => new ThreadPool(3 as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"options"'));
  });
});

describe('ThreadPool#resize() / suggestThreadPoolSize()', () => {
  it('take an integer >= 1 (ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE naming the argument)', () => {
    const p = pool({ minThreads: 0, maxThreads: 2 });
    expect(() => p.resize(0)).toThrow(argError('ERR_OUT_OF_RANGE', '"maxThreads"'));
    expect(() => p.resize(1.5)).toThrow(argError('ERR_OUT_OF_RANGE', '"maxThreads"'));
    expect(() => p.resize(Infinity)).toThrow(argError('ERR_OUT_OF_RANGE', '"maxThreads"'));
    expect(() => p.resize('3' as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"maxThreads"'));
    expect(p.maxThreads).toBe(2);
    p.resize(3);
    expect(p.maxThreads).toBe(3);
    expect(() => suggestThreadPoolSize(0)).toThrow(argError('ERR_OUT_OF_RANGE', '"n"'));
    expect(() => suggestThreadPoolSize(2.5)).toThrow(argError('ERR_OUT_OF_RANGE', '"n"'));
    expect(() => suggestThreadPoolSize(null as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"n"'));
  });
});

describe('ThreadPool#run()', () => {
  it('runs a self-contained function, and module exports (CJS, ESM, default and named)', async () => {
    const p = pool({ minThreads: 1, maxThreads: 2 });
    expect(await p.run((a: number, b: number) => a + b, 2, 3)).toBe(5);
    expect(await p.run({ module: cjsModule, export: 'square' }, 7)).toBe(49);
    expect(await p.run({ module: esmModule, export: 'cube' }, 2)).toBe(8);
    expect(await p.run({ module: pathToFileURL(esmModule) }, 'x')).toBe('esm x');
    expect(await p.run({ module: esmModule }, 1)).toBe('esm 1');
  });

  it('awaits returned promises and lets tasks spawn tasklets that block', async () => {
    const p = pool({ minThreads: 0, maxThreads: 1 });
    const value = await p.run((dist: string) => {
      const T = require(dist);
      const ts = [1, 2, 3].map((i: number) =>
        T.spawn(() => {
          T.sleep(5 * i);
          return T.blockOn(Promise.resolve(i * 10));
        }),
      );
      return Promise.all(ts.map((t: { result: Promise<number> }) => t.result));
    }, DIST);
    expect(value).toEqual([10, 20, 30]);
  });

  it('rejects with the worker error: message, name, code and the worker stack', async () => {
    const p = pool({ minThreads: 0, maxThreads: 1 });
    const err = await p
      .run(() => {
        const e = new RangeError('bad in worker');
        (e as { code?: string }).code = 'E_WORKER';
        throw e;
      })
      .catch((e) => e);
    expect(err.name).toBe('RangeError');
    expect(err.message).toBe('bad in worker');
    expect(err.code).toBe('E_WORKER');
    expect(err.stack).toContain('bad in worker');
  });

  it('rejects bad tasks and arguments (Node codes, naming them), never throws synchronously', async () => {
    const p = pool({ minThreads: 0, maxThreads: 1 });
    await expect(p.run(42 as never)).rejects.toThrow(argError('ERR_INVALID_ARG_TYPE', '"task" argument'));
    await expect(p.run(null as never)).rejects.toThrow(argError('ERR_INVALID_ARG_TYPE', '"task" argument'));
    await expect(p.run({ module: 42 } as never)).rejects.toThrow(argError('ERR_INVALID_ARG_TYPE', '"task.module" property'));
    await expect(p.run({ module: '' })).rejects.toThrow(argError('ERR_INVALID_ARG_VALUE', "'task.module'"));
    await expect(p.run({ module: cjsModule, export: 1 } as never)).rejects.toThrow(argError('ERR_INVALID_ARG_TYPE', '"task.export"'));
    await expect(p.run({ module: cjsModule, exprt: 'square' } as never)).rejects.toThrow(
      argError('ERR_INVALID_ARG_VALUE', "'task.exprt' is not a task key"),
    );
    await expect(p.run({ module: cjsModule, export: 'nope' })).rejects.toThrow(
      argError('ERR_INVALID_ARG_VALUE', `'task.export' is not a function export of ${pathToFileURL(cjsModule).href}`),
    );
    await expect(p.run((x: unknown) => x, (() => 1) as never)).rejects.toThrow(/could not be cloned/);
    expect(p.spawned).toBe(1); // only the export lookup reached a worker
  });

  it('a missing module rejects with ERR_MODULE_NOT_FOUND naming the path it tried (relative: against the cwd)', async () => {
    const p = pool({ minThreads: 0, maxThreads: 1 });
    const missing = path.join(dir, 'missing.mjs');
    await expect(p.run({ module: missing })).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND', message: `Cannot find the task's module ${missing}` }),
    );
    const relative = './no-such-dir/jobs.js';
    const err = await p.run({ module: relative }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    expect(err.message).toContain(path.resolve(relative));
    expect(err.message).toContain(`resolved against the current directory (${process.cwd()})`);
    expect(err.message).toContain(`new URL('${relative}', import.meta.url)`);
    // A module the task's module imports is not the task's module: Node's own error, naming it.
    const importer = path.join(dir, 'importer.mjs');
    fs.writeFileSync(importer, "import './not-there.mjs';\nexport default () => 1;\n");
    await expect(p.run({ module: importer })).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND', message: expect.stringContaining(`imported from ${importer}`) }),
    );
    // Not cached: once the file exists the same task runs.
    fs.writeFileSync(missing, 'export default () => "found";\n');
    expect(await p.run({ module: missing })).toBe('found');
  });

  it('close() rejects the running task with ERR_WORKER_EXITED, queued ones with ERR_POOL_CLOSED, later ones too', async () => {
    const p = pool({ minThreads: 0, maxThreads: 1 });
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const running = p.run((f: Int32Array) => {
      Atomics.store(f, 0, 1);
      Atomics.wait(f, 0, 1, 5000); // busy until terminated
    }, flag);
    const queued = p.run(() => 'never');
    const outcomes = Promise.allSettled([running, queued]);
    while (Atomics.load(flag, 0) === 0) await new Promise((r) => setTimeout(r, 5));
    await p.close();
    const [r, q] = await outcomes;
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_WORKER_EXITED' } });
    expect(q).toMatchObject({ status: 'rejected', reason: { code: 'ERR_POOL_CLOSED' } });
    await expect(p.run(() => 1)).rejects.toThrow(expect.objectContaining({ code: 'ERR_POOL_CLOSED' }));
  });

  it('a worker that dies rejects only its own task, and the pool goes on with a new worker', async () => {
    const p = pool({ minThreads: 0, maxThreads: 1 });
    const exited = p.run(() => process.exit(3));
    const thrownLater = p.run(() => new Promise(() => setTimeout(() => { throw new Error('thrown in a callback'); }, 1)));
    const fine = p.run((x: number) => x * 2, 21);
    const [e, t, f] = await Promise.allSettled([exited, thrownLater, fine]);
    expect(e).toMatchObject({ status: 'rejected', reason: { code: 'ERR_WORKER_EXITED' } });
    expect(t).toMatchObject({ status: 'rejected', reason: { message: 'thrown in a callback' } });
    expect(f).toEqual({ status: 'fulfilled', value: 42 });
    expect(p.spawned).toBe(3);
  });
});

describe('parallelism', () => {
  it('CPU-bound tasks run in parallel on 2 cores', async () => {
    const p = pool({ minThreads: 2, maxThreads: 2 });
    const burn = (ms: number) => {
      const end = Date.now() + ms;
      let x = 0;
      while (Date.now() < end) x++;
      return x > 0;
    };
    // Warm up both workers: each task waits until the other has started,
    // so neither worker can take both (a free worker takes the next task).
    const barrier = new Int32Array(new SharedArrayBuffer(4));
    const meet = (b: Int32Array) => {
      Atomics.add(b, 0, 1);
      Atomics.notify(b, 0);
      while (Atomics.load(b, 0) < 2) Atomics.wait(b, 0, 1, 10_000);
      return require('node:worker_threads').threadId;
    };
    const ids = await Promise.all([p.run(meet, barrier), p.run(meet, barrier)]);
    expect(new Set(ids).size).toBe(2);
    const t0 = Date.now();
    await Promise.all([p.run(burn, 400), p.run(burn, 400)]);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(700); // serial would be >= 800 ms
  });
});

describe('deferToThread() and friends (default pool, child processes)', () => {
  it('suggestThreadPoolSize(3) never uses more than 3 workers', () => {
    const r = runChild(`
      T.suggestThreadPoolSize(3);
      const { threadId } = require('node:worker_threads');
      const ids = new Set();
      const task = async (ms) => { await new Promise((r) => setTimeout(r, ms)); return require('node:worker_threads').threadId; };
      Promise.all(Array.from({ length: 12 }, () => T.deferToThread(task, 30))).then((tids) => {
        for (const t of tids) ids.add(t);
        console.log(ids.size, T.getThreadPool().spawned, T.getThreadPool().maxThreads);
      });
    `);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    const [distinct, spawned, max] = r.stdout.trim().split(' ').map(Number);
    expect(max).toBe(3);
    expect(spawned).toBeLessThanOrEqual(3);
    expect(distinct).toBeLessThanOrEqual(3);
  });

  it('callMultipleInThread runs the calls in order in one worker; callInThread reports failures', () => {
    const r = runChild(`
      const seen = [];
      T.exposeToThreads({ log: (x) => seen.push(x) });
      const step = (i) => { const T = require(${JSON.stringify(DIST)}); T.blockingCallFromThread('log', [i, require('node:worker_threads').threadId]); };
      T.callMultipleInThread([[step, [1]], [step, [2]], [step, [3]], [step, [4]]]);
      let warned = false;
      process.on('warning', (w) => { warned = true; console.log('warning', w.message); });
      T.callInThread(() => { throw new Error('fire and forget failed'); });
      // Until all four calls and the warning arrived (workers start slowly
      // under ASan and on a loaded machine); the child's time limit bounds it.
      const iv = setInterval(() => {
        if (seen.length < 4 || !warned) return;
        clearInterval(iv);
        console.log(JSON.stringify(seen.map((s) => s[0])), new Set(seen.map((s) => s[1])).size);
        T.getThreadPool().close();
      }, 20);
    `);
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toContain('[1,2,3,4] 1');
    expect(r.stdout).toContain('warning fire and forget failed');
  });

  it('callInThread and callMultipleInThread throw bad arguments synchronously (they return nothing to reject)', () => {
    expect(() => callInThread(42 as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"task" argument'));
    expect(() => callInThread({ module: cjsModule, exprt: 'x' } as never)).toThrow(argError('ERR_INVALID_ARG_VALUE', "'task.exprt'"));
    expect(() => callInThread((x: unknown) => x, Symbol('no') as never)).toThrow(/could not be cloned/);
    expect(() => callMultipleInThread('x' as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"calls" argument'));
    expect(() => callMultipleInThread([[() => 1, []], 42] as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"calls[1]" argument'));
    expect(() => callMultipleInThread([[() => 1, 5]] as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"calls[0][1]" argument'));
    expect(() => callMultipleInThread([[{ modul: 'x' }, []]] as never)).toThrow(argError('ERR_INVALID_ARG_VALUE', "'calls[0][0].modul'"));
    expect(() => callMultipleInThread([[() => 1, [], 'extra']] as never)).toThrow(argError('ERR_INVALID_ARG_VALUE', "'calls[0]'"));
    return expect(deferToThread(42 as never)).rejects.toThrow(argError('ERR_INVALID_ARG_TYPE', '"task" argument'));
  });

  it('a process shows all the output of its callInThread tasks, every run, and exits promptly', () => {
    // Worker stdio reaches main asynchronously: before the fix the process
    // exited once the results were in, losing most lines.
    for (let run = 0; run < 5; run++) {
      const r = runChild(
        `for (let i = 0; i < 8; i++) T.callInThread((i) => { console.log('line ' + i); console.error('err ' + i); }, i);
         T.callMultipleInThread([[(s) => console.log(s), ['multi a']], [(s) => console.log(s), ['multi b']]]);`,
        { timeoutMs: 10_000 }, // the idle timeout (30 s) must not keep it alive
      );
      expect(r.timedOut).toBe(false);
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([...Array.from({ length: 8 }, (_, i) => `line ${i}`), 'multi a', 'multi b']);
      expect(r.stderr.split('\n').filter(Boolean).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `err ${i}`));
    }
  });

  it('a process that used the pool exits by itself once the work is done', () => {
    const r = runChild(`T.deferToThread((x) => x + 1, 1).then((v) => console.log('got', v));`, { timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('got 2');
  });
});

describe('exposeToThreads() / blockingCallFromThread() / callFromThread()', () => {
  it('a worker thread (outside tasklets) and a tasklet in a worker wait for main, which may return a Promise', async () => {
    exposeToThreads({
      addLater: async (a: number, b: number) => {
        await new Promise((r) => setTimeout(r, 10));
        return a + b;
      },
    });
    const p = pool({ minThreads: 0, maxThreads: 1 });
    const plain = await p.run((dist: string) => require(dist).blockingCallFromThread('addLater', 1, 2), DIST);
    const inTasklet = await p.run((dist: string) => {
      const T = require(dist);
      return T.spawn(() => T.blockingCallFromThread('addLater', 3, 4)).result;
    }, DIST);
    expect([plain, inTasklet]).toEqual([3, 7]);
  });

  it("rethrows main's error in the worker", async () => {
    exposeToThreads({
      refuse: () => {
        const e = new Error('main refuses');
        (e as { code?: string }).code = 'E_MAIN';
        throw e;
      },
    });
    const p = pool({ minThreads: 0, maxThreads: 1 });
    const got = await p.run((dist: string) => {
      try {
        require(dist).blockingCallFromThread('refuse');
      } catch (e) {
        return [(e as Error).message, (e as { code?: string }).code];
      }
      return 'no error';
    }, DIST);
    expect(got).toEqual(['main refuses', 'E_MAIN']);
    const missing = await p.run((dist: string) => {
      try {
        require(dist).blockingCallFromThread('never-exposed');
      } catch (e) {
        return (e as { code?: string }).code;
      }
    }, DIST);
    expect(missing).toBe('ERR_NOT_EXPOSED');
  });

  it('callFromThread runs on main without waiting', async () => {
    let got: unknown;
    const arrived = new Promise<void>((resolve) =>
      exposeToThreads({
        note: (x: unknown) => {
          got = x;
          resolve();
        },
      }),
    );
    const p = pool({ minThreads: 0, maxThreads: 1 });
    await p.run((dist: string) => require(dist).callFromThread('note', { from: 'worker' }), DIST);
    await arrived;
    expect(got).toEqual({ from: 'worker' });
  });

  it('in main: blockingCallFromThread is ERR_BLOCKING_IN_MAIN; validation names the argument', () => {
    expect(() => blockingCallFromThread('x')).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
    expect(() => blockingCallFromThread('x')).toThrow(TaskletError);
    expect(() => callFromThread(1 as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', 'The "name" argument must be of type string'));
    expect(() => blockingCallFromThread(1 as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', '"name" argument'));
    expect(() => exposeToThreads(42 as never)).toThrow(argError('ERR_INVALID_ARG_TYPE', 'The "fns" argument must be of type object'));
    expect(() => exposeToThreads({ ok: () => 1, f: 1 as never })).toThrow(
      argError('ERR_INVALID_ARG_TYPE', 'The "fns.f" property must be of type function'),
    );
    expect(() => callFromThread('ok')).toThrow(expect.objectContaining({ code: 'ERR_NOT_EXPOSED' })); // all or nothing
    expect(() => callFromThread('never-exposed')).toThrow(expect.objectContaining({ code: 'ERR_NOT_EXPOSED' }));
  });
});
