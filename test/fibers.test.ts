// tasklet/fibers: node-fibers' Fiber on tasklets — what node-fibers' own
// suite does not cover: run/yield round trips, throwInto, reset, the
// counters, misuse errors, fibers as tasklets, and process-level behaviour
// (exit, exec, title, many suspended fibers) in child processes.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Channel, Tasklet, blockOn, spawn, stats } from '../dist/cjs/index.js';
import Fiber from '../dist/cjs/fibers/index.js';
import { runChild } from './helpers';

const FIBERS = path.join(__dirname, '..', 'dist', 'cjs', 'fibers', 'index.js');

describe('Fiber(fn)', () => {
  it('makes a fiber with or without new, which is a Tasklet', () => {
    const a = Fiber(() => 1);
    const b = new Fiber(() => 2);
    expect(a).toBeInstanceOf(Fiber);
    expect(b).toBeInstanceOf(Fiber);
    expect(a).toBeInstanceOf(Tasklet);
    expect(a.run()).toBe(1);
    expect(b.run()).toBe(2);
  });

  it('refuses a non-function with node-fibers\' TypeError', () => {
    expect(() => Fiber(42 as never)).toThrow(new TypeError('Fiber expects a function'));
    expect(() => new Fiber(undefined as never)).toThrow(TypeError);
  });
});

describe('fiber.run(value) and Fiber.yield(value)', () => {
  it('round-trips values: the first run() is the argument, later ones are what yield() returns', () => {
    const seen: unknown[] = [];
    const f = Fiber((first: number) => {
      seen.push(first);
      const second = Fiber.yield(first * 10);
      seen.push(second);
      const third = Fiber.yield('b');
      seen.push(third);
      return 'done';
    });
    expect(f.run(1)).toBe(10);
    expect(f.run('x')).toBe('b');
    expect(f.run({ k: 3 })).toBe('done');
    expect(seen).toEqual([1, 'x', { k: 3 }]);
  });

  it('calls the function with no argument when run() gets none', () => {
    let count = -1;
    Fiber(function (this: unknown, ...args: unknown[]) {
      count = args.length;
    }).run();
    expect(count).toBe(0);
  });

  it('passes the exception thrown in the fiber out of run()', () => {
    const err = new Error('boom');
    const f = Fiber(() => {
      Fiber.yield();
      throw err;
    });
    f.run();
    expect(() => f.run()).toThrow(err);
    expect(f.started).toBe(false);
  });

  it('reports a stack overflow in a fiber as a RangeError from run()', () => {
    const deep = (n: number): number => deep(n + 1) + 1;
    expect(() => Fiber(() => deep(0)).run()).toThrow(RangeError);
  });

  it('runs fibers from fibers: each yield returns to the fiber that ran it', () => {
    const order: string[] = [];
    const inner = Fiber(() => {
      order.push('inner 1');
      Fiber.yield('from inner');
      order.push('inner 2');
    });
    const outer = Fiber(() => {
      order.push(`outer got ${inner.run()}`);
      Fiber.yield();
      inner.run();
      order.push('outer end');
    });
    outer.run();
    order.push('main');
    outer.run();
    expect(order).toEqual(['inner 1', 'outer got from inner', 'main', 'inner 2', 'outer end']);
  });
});

describe('Fiber.current and fiber.started', () => {
  it('is the running fiber, undefined in main and in a plain tasklet', async () => {
    expect(Fiber.current).toBeUndefined();
    const f = Fiber(() => Fiber.current);
    expect(f.run()).toBe(f);
    const t = spawn(() => Fiber.current);
    expect(await t.result).toBeUndefined();
  });

  it('started is true from the first run() until the function ends', () => {
    const f = Fiber(() => Fiber.yield());
    expect(f.started).toBe(false);
    f.run();
    expect(f.started).toBe(true);
    f.run();
    expect(f.started).toBe(false);
  });
});

describe('Fiber.fibersCreated and Fiber.poolSize', () => {
  it('counts the fibers started', () => {
    const before = Fiber.fibersCreated;
    const made = [Fiber(() => 0), Fiber(() => 0), Fiber(() => 0)];
    expect(Fiber.fibersCreated).toBe(before);
    for (const f of made) f.run();
    expect(Fiber.fibersCreated).toBe(before + 3);
  });

  it('poolSize is assignable in strict mode (this module is strict)', () => {
    'use strict';
    const old = Fiber.poolSize;
    expect(typeof old).toBe('number');
    Fiber.poolSize = 250;
    expect(Fiber.poolSize).toBe(250);
    Fiber.poolSize = old;
  });
});

describe('fiber.throwInto(error)', () => {
  it('raises the error at the pending yield; returns what the fiber yields next', () => {
    const f = Fiber(() => {
      try {
        Fiber.yield();
      } catch (e) {
        Fiber.yield(`caught ${(e as Error).message}`);
      }
      return 'end';
    });
    f.run();
    expect(f.throwInto(new Error('x'))).toBe('caught x');
    expect(f.run()).toBe('end');
  });

  it('passes an error the fiber does not catch out of throwInto()', () => {
    const f = Fiber(() => Fiber.yield());
    f.run();
    const err = new Error('through');
    expect(() => f.throwInto(err)).toThrow(err);
    expect(f.started).toBe(false);
  });

  it('refuses a fiber that is not yielding', () => {
    expect(() => Fiber(() => 0).throwInto(new Error())).toThrow('This Fiber is not yielding');
  });
});

describe('fiber.reset()', () => {
  it('unwinds a suspended fiber: every yield() throws until the function returns', () => {
    const events: string[] = [];
    const f = Fiber(() => {
      try {
        for (let i = 0; i < 3; i++) {
          try {
            Fiber.yield();
          } catch (e) {
            events.push((e as Error).message);
          }
        }
        return 'returned';
      } finally {
        events.push('finally');
      }
    });
    f.run();
    expect(f.reset()).toBe('returned');
    expect(events).toEqual(['This Fiber is a zombie', 'This Fiber is a zombie', 'This Fiber is a zombie', 'finally']);
    expect(f.started).toBe(false);
  });

  it('returns undefined when the unwinding error comes out, and for a fiber never run', () => {
    const f = Fiber(() => Fiber.yield());
    f.run();
    expect(f.reset()).toBeUndefined();
    expect(f.started).toBe(false);
    expect(Fiber(() => 1).reset()).toBeUndefined();
  });
});

describe('misuse', () => {
  it('running a fiber that is running throws node-fibers\' error', () => {
    const f = Fiber(() => {
      const me = Fiber.current!;
      return Fiber(() => {
        try {
          me.run();
        } catch (e) {
          return (e as Error).message;
        }
      }).run();
    });
    expect(f.run()).toBe('This Fiber is already running');
    const self = Fiber(() => {
      Fiber.current!.run();
    });
    expect(() => self.run()).toThrow('This Fiber is already running');
  });

  it('yield() outside a fiber throws, in main and in a plain tasklet', async () => {
    expect(() => Fiber.yield()).toThrow('yield() called with no fiber running');
    const t = spawn(() => Fiber.yield());
    await expect(t.result).rejects.toThrow('yield() called with no fiber running');
  });

  it('Fiber.prototype.run.call(null) and other non-fibers throw a TypeError', () => {
    expect(() => Fiber.prototype.run.call(null)).toThrow(TypeError);
    expect(() => Fiber.prototype.run.call({})).toThrow('run() called on something that is not a Fiber');
    expect(() => Fiber.prototype.throwInto.call(spawn(() => 0), 1)).toThrow(TypeError);
    expect(() => Fiber.prototype.reset.call(undefined)).toThrow(TypeError);
  });

  it('run() with two arguments and yield() with two are TypeErrors', () => {
    expect(() => (Fiber(() => 0).run as (...a: unknown[]) => unknown)(1, 2)).toThrow(TypeError);
    const f = Fiber(() => (Fiber.yield as (...a: unknown[]) => unknown)(1, 2));
    expect(() => f.run()).toThrow('yield() expects 1 or no arguments');
  });

  it('a finished fiber runs its function again from the start (node-fibers reset it when it ended)', async () => {
    let calls = 0;
    const f = Fiber((x: number) => {
      calls++;
      return Fiber.yield(x) + 1;
    });
    expect(f.run(1)).toBe(1);
    expect(f.run(10)).toBe(11);
    expect(f.started).toBe(false);
    expect(f.run(2)).toBe(2); // started over: the function got the new run()'s value
    expect(f.started).toBe(true);
    expect(f.run(20)).toBe(21);
    expect(calls).toBe(2);
    await expect(f.result).resolves.toBe(21); // the result of the latest run
    const g = Fiber(() => {
      throw new Error('boom');
    });
    expect(() => g.run()).toThrow('boom');
    expect(() => g.run()).toThrow('boom'); // an ended-by-error fiber starts over too
  });
});

describe('a fiber is a tasklet', () => {
  it('blockOn() in a fiber hands control back to run() (undefined); the fiber resumes by itself', async () => {
    let resolve!: (v: number) => void;
    const p = new Promise<number>((r) => (resolve = r));
    const f = Fiber(() => blockOn(p) * 2);
    expect(f.run()).toBeUndefined();
    expect(f.started).toBe(true);
    expect(() => f.run()).toThrow('this Fiber is blocked');
    resolve(21);
    expect(await f.result).toBe(42); // nobody ran it to the end: its value is the tasklet's result
    expect(f.started).toBe(false);
  });

  it('channels work between fibers and tasklets', async () => {
    const ch = new Channel<number>();
    const got: number[] = [];
    const t = spawn(() => {
      for (let i = 0; i < 3; i++) got.push(ch.receive());
    });
    const f = Fiber(() => {
      for (let i = 0; i < 3; i++) ch.send(i);
      return 'sent';
    });
    f.run();
    await t.result;
    await f.result;
    expect(got).toEqual([0, 1, 2]);
  });

  it('kill() ends a yielding fiber (finally runs)', () => {
    let cleaned = false;
    const f = Fiber(() => {
      try {
        Fiber.yield();
      } finally {
        cleaned = true;
      }
    });
    f.run();
    f.kill();
    expect(cleaned).toBe(true);
    expect(f.started).toBe(false);
  });

  it('holds 2,000 fibers suspended at once, and all end', () => {
    const base = stats().liveTasklets;
    const fibers = Array.from({ length: 2000 }, (_, i) => Fiber((x: number) => Fiber.yield(x) as number + 1));
    fibers.forEach((f, i) => expect(f.run(i)).toBe(i));
    expect(stats().liveTasklets).toBe(base + 2000);
    let sum = 0;
    for (const f of fibers) sum += f.run(1) as number;
    expect(sum).toBe(4000);
    expect(stats().liveTasklets).toBe(base);
  });
});

describe('process-level behaviour (child processes)', () => {
  const child = (code: string, env: NodeJS.ProcessEnv = {}) =>
    runChild(`const Fiber = require(${JSON.stringify(FIBERS)});\n${code}`, { timeoutMs: 20_000, env });

  it('process.exit() in a fiber exits with its code, running no more code', () => {
    const r = child(`setTimeout(() => { Fiber(() => { console.log('in'); process.exit(3); }).run(); console.log('after'); }, 1);`);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('in\n');
    expect(r.stderr).toBe('');
  });

  it('leaves a fiber suspended in yield() alone at exit, as node-fibers did (no finally, no warning)', () => {
    const r = child(
      `Fiber(() => { try { for (;;) { try { Fiber.yield(); } catch {} } } finally { console.log('finally'); } }).run();\n` +
        `console.log('main done');`,
    );
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('main done\n');
    expect(r.stderr).toBe('');
  });

  it('an error thrown in a fiber that resumed by itself (after blockOn) reaches uncaughtException', () => {
    const r = child(
      `const { blockOn } = T;\n` +
        `process.on('uncaughtException', (e) => { console.log('caught', e.message); });\n` +
        `Fiber(() => { blockOn(new Promise((r) => setTimeout(r, 5))); throw new Error('late'); }).run();`,
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('caught late\n');
  });

  it('child_process.exec and process.title work inside a fiber', () => {
    const r = child(
      `Fiber(() => {\n` +
        `  process.title = 'tasklet-fiber-title';\n` +
        `  console.log(process.title);\n` +
        `  require('child_process').exec('echo from-exec', (err, out) => { if (err) throw err; process.stdout.write(out); });\n` +
        `}).run();`,
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('tasklet-fiber-title\nfrom-exec\n');
  });
});
