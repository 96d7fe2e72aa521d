import { describe, expect, it } from 'vitest';
import {
  Tasklet,
  TaskletError,
  TaskletExit,
  blockOn,
  blockingTasklet,
  configure,
  deferredTasklet,
  getcurrent,
  getmain,
  getruncount,
  schedule,
  sleep,
  spawn,
  stats,
  tasklet,
} from '../dist/cjs/index.js';
import { nextMacrotask, runChild } from './helpers';

const never = (): Promise<never> => new Promise(() => {});

describe('spawn()', () => {
  it('runs fn(...args) in a tasklet on the event loop, without anything more', async () => {
    const log: string[] = [];
    const t = spawn((a: number, b: string) => {
      log.push(`ran ${a} ${b} main=${getcurrent().isMain}`);
      return a * 2;
    }, 21, 'x');
    expect(log).toEqual([]);
    expect(t.alive).toBe(true);
    expect(t.scheduled).toBe(true);
    await expect(t.result).resolves.toBe(42);
    expect(log).toEqual(['ran 21 x main=false']);
    expect(t.alive).toBe(false);
  });

  it('names the argument when fn is not a function', () => {
    expect(() => spawn(42 as never)).toThrow(TypeError);
    expect(() => spawn(42 as never)).toThrow(/"fn" argument must be of type function/);
  });
});

describe('tasklet(f)(...args)', () => {
  it('creates, sets up and returns a runnable tasklet', async () => {
    const t = tasklet((x: number, y: number) => x + y)(2, 3);
    expect(t).toBeInstanceOf(Tasklet);
    expect(await t.result).toBe(5);
  });
});

describe('new Tasklet()', () => {
  it('is not runnable until setup()', async () => {
    let ran = false;
    const t = new Tasklet(() => {
      ran = true;
    });
    expect(t.alive).toBe(false);
    expect(t.scheduled).toBe(false);
    await nextMacrotask();
    expect(ran).toBe(false);
    t.setup();
    await t.result;
    expect(ran).toBe(true);
  });

  it('bind() sets the function and arguments; setup() without a function fails', async () => {
    const t = new Tasklet();
    expect(() => t.setup()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_NOT_BOUND' }));
    t.bind((x: number) => x + 1, [1]);
    expect(t.alive).toBe(true);
    t.insert();
    expect(await t.result).toBe(2);
    expect(() => t.bind(() => 0)).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_STARTED' }));
    expect(() => new Tasklet().bind(() => 0, 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"args"') }));
  });

  it('gets unique ids and a name from its function', () => {
    function worker(): void {}
    const a = new Tasklet(worker);
    const b = new Tasklet();
    expect(a.id).not.toBe(b.id);
    expect(a.name).toBe('worker');
    b.name = 'custom';
    expect(b.name).toBe('custom');
  });
});

describe('async functions', () => {
  async function asyncFn(): Promise<void> {}
  async function* asyncGen(): AsyncGenerator<number> {}
  it.each([
    ['spawn()', (f: never) => spawn(f)],
    ['tasklet()', (f: never) => tasklet(f)],
    ['new Tasklet()', (f: never) => new Tasklet(f)],
    ['Tasklet#bind()', (f: never) => new Tasklet().bind(f, [])],
    ['deferredTasklet()', (f: never) => deferredTasklet(f)],
    ['blockingTasklet()', (f: never) => blockingTasklet(f)],
  ])('%s refuses them with an argument error that says to use a plain function and blockOn', (_, call) => {
    for (const f of [asyncFn, asyncGen, async () => 1]) {
      expect(() => call(f as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/"fn".*plain function.*blockOn/s) }),
      );
    }
    expect(stats().liveTasklets).toBe(0);
  });

  it('a plain function returning a promise is still accepted (its result adopts the promise)', async () => {
    expect(await spawn(() => Promise.resolve(7)).result).toBe(7);
  });
});

describe('Tasklet#run()', () => {
  it('switches to the tasklet now; the caller resumes when it yields', () => {
    const log: string[] = [];
    const t = new Tasklet().bind(() => {
      log.push('t1');
      schedule();
      log.push('t2');
    }, []);
    log.push('before');
    t.run();
    log.push('after first run');
    t.run();
    log.push('after second run');
    expect(log).toEqual(['before', 't1', 'after first run', 't2', 'after second run']);
    expect(t.alive).toBe(false);
  });

  it('refuses a tasklet bound to a function but not to arguments (Stackless): ERR_TASKLET_NOT_RUNNABLE', async () => {
    let ran = false;
    const g = (): void => {
      ran = true;
    };
    for (const t of [new Tasklet(() => 0).bind(g), new Tasklet(g)]) {
      expect(t.alive).toBe(false);
      expect(() => t.run()).toThrow(expect.objectContaining({ name: 'TaskletError', code: 'ERR_TASKLET_NOT_RUNNABLE' }));
      expect(() => t.insert()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_NOT_RUNNABLE', message: expect.stringMatching(/insert\(\).*no arguments/) }));
      expect(t.scheduled).toBe(false);
    }
    await nextMacrotask();
    expect(ran).toBe(false);
    expect(() => new Tasklet().run()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_NOT_BOUND' }));
  });

  it('refuses dead and blocked tasklets with a code', async () => {
    const dead = spawn(() => 1);
    await dead.result;
    expect(() => dead.run()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_DEAD' }));
    const blocked = spawn(() => blockOn(never()));
    await nextMacrotask();
    expect(blocked.blocked).toBe(true);
    expect(() => blocked.run()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_BLOCKED' }));
    expect(() => blocked.insert()).toThrow(TaskletError);
    blocked.kill();
    expect(blocked.alive).toBe(false);
  });
});

describe('Tasklet#insert() / remove()', () => {
  it('a removed tasklet does not run until inserted again', async () => {
    const log: string[] = [];
    const t = spawn(() => log.push('ran'));
    t.remove();
    expect(t.scheduled).toBe(false);
    await nextMacrotask();
    expect(log).toEqual([]);
    t.insert();
    await t.result;
    expect(log).toEqual(['ran']);
  });

  it('cannot remove the current tasklet or the main one', async () => {
    const t = spawn(() => {
      expect(() => getcurrent().remove()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_CURRENT' }));
      return 'ok';
    });
    expect(await t.result).toBe('ok');
    expect(() => getmain().remove()).toThrow(expect.objectContaining({ code: 'ERR_MAIN_TASKLET' }));
  });
});

describe('Tasklet#kill()', () => {
  it('raises TaskletExit at the suspension point; finally runs; result resolves undefined', async () => {
    const log: string[] = [];
    let seen: unknown;
    const t = spawn(() => {
      try {
        blockOn(never());
        log.push('not reached');
      } catch (e) {
        seen = e;
        throw e;
      } finally {
        log.push('finally');
      }
    });
    await nextMacrotask();
    expect(t.blocked).toBe(true);
    t.kill();
    expect(log).toEqual(['finally']);
    expect(seen).toBeInstanceOf(TaskletExit);
    expect(t.alive).toBe(false);
    expect(t.blocked).toBe(false);
    await expect(t.result).resolves.toBeUndefined();
  });

  it('is harmless on an ended tasklet', async () => {
    const t = spawn(() => 7);
    expect(await t.result).toBe(7);
    expect(() => t.kill()).not.toThrow();
    expect(await t.result).toBe(7);
  });

  it('ends a tasklet that never started without running it', async () => {
    let ran = false;
    const t = spawn(() => {
      ran = true;
    });
    t.kill();
    await nextMacrotask();
    expect(ran).toBe(false);
    expect(t.alive).toBe(false);
    await expect(t.result).resolves.toBeUndefined();
  });

  it('killing the current tasklet raises TaskletExit in it', async () => {
    const log: string[] = [];
    const t = spawn(() => {
      try {
        getcurrent().kill();
      } finally {
        log.push('finally');
      }
      log.push('not reached');
    });
    await expect(t.result).resolves.toBeUndefined();
    expect(log).toEqual(['finally']);
  });

  it('one tasklet can kill another; the killer runs on afterwards', async () => {
    const log: string[] = [];
    const victim = spawn(() => {
      try {
        sleep(10_000);
      } finally {
        log.push('victim finally');
      }
    });
    const killer = spawn(() => {
      schedule();
      victim.kill();
      log.push('killer after kill');
    });
    await killer.result;
    expect(log).toEqual(['victim finally', 'killer after kill']);
  });
});

describe('Tasklet#throw()', () => {
  it('raises the error at the suspension point; result rejects with that very object', async () => {
    const boom = new Error('boom');
    let caught: unknown;
    const t = spawn(() => {
      try {
        sleep(10_000);
      } catch (e) {
        caught = e;
        throw e;
      }
    });
    await nextMacrotask();
    t.throw(boom);
    expect(caught).toBe(boom);
    await expect(t.result).rejects.toBe(boom);
  });

  it('without an error is an argument error, checked before any state (main and ended tasklets too)', async () => {
    const t = spawn(() => sleep(10_000));
    await nextMacrotask();
    const ended = spawn(() => 1);
    await ended.result;
    for (const target of [t, getmain(), ended]) {
      expect(() => (target.throw as () => void)()).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"error"') }),
      );
    }
    expect(t.blocked).toBe(true);
    t.kill();
  });

  it('throwing to an ended tasklet is ERR_TASKLET_DEAD', async () => {
    const t = spawn(() => 1);
    await t.result;
    expect(() => t.throw(new Error('x'))).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_DEAD' }));
  });

  it('a tasklet that catches the error keeps running', async () => {
    const t = spawn(() => {
      try {
        sleep(10_000);
      } catch (e) {
        return `recovered from ${(e as Error).message}`;
      }
      return 'no';
    });
    await nextMacrotask();
    t.throw(new Error('x'));
    expect(await t.result).toBe('recovered from x');
  });
});

describe('Tasklet#result', () => {
  it('rejects with the very error that escaped the tasklet', async () => {
    const err = new RangeError('bad');
    const t = spawn(() => {
      throw err;
    });
    await expect(t.result).rejects.toBe(err);
  });

  it('an unobserved error is an unhandled rejection', () => {
    const r = runChild(`T.spawn(() => { throw new Error('nobody listens'); });`);
    expect(r.timedOut).toBe(false);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('nobody listens');
  });
});

describe('getcurrent() / getmain() / getruncount()', () => {
  it('tell main from tasklets and count runnable ones', async () => {
    const main = getmain();
    expect(main.isMain).toBe(true);
    expect(main.isCurrent).toBe(true);
    expect(getcurrent()).toBe(main);
    expect(main.alive).toBe(true);
    expect(getruncount()).toBe(1);
    const a = spawn(() => {
      const me = getcurrent();
      return [me.isMain, me.isCurrent, main.isCurrent, getruncount()] as const;
    });
    const b = spawn(() => 0);
    expect(getruncount()).toBe(3);
    expect(await a.result).toEqual([false, true, false, 3]);
    await b.result;
    expect(getruncount()).toBe(1);
  });
});

describe('deep recursion in a tasklet', () => {
  it('is a catchable RangeError, in-process', async () => {
    const t = spawn(() => {
      const f = (n: number): number => f(n + 1) + 1;
      try {
        f(0);
      } catch (e) {
        return (e as Error).constructor.name;
      }
      return 'no overflow';
    });
    expect(await t.result).toBe('RangeError');
  });

  it('is a RangeError on a small strand stack, not a crash (child process)', () => {
    const r = runChild(`
      T.configure({ stackSize: 256 * 1024 });
      const depth = (n) => { try { return depth(n + 1); } catch (e) { return [e.constructor.name, n]; } };
      T.spawn(() => depth(0)).result.then(([name, n]) => console.log(name, n > 1000, n));
    `);
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^RangeError true \d+$/);
  });
});

describe('configure()', () => {
  it('validates its options, naming them', () => {
    expect(() => configure({ stackSize: 1024 })).toThrow(RangeError);
    expect(() => configure({ stackSize: 1024 })).toThrow(/options\.stackSize/);
    expect(() => configure({ timeSlice: 'x' as never })).toThrow(/options\.timeSlice/);
    const before = configure();
    expect(before.stackSize).toBeGreaterThanOrEqual(256 * 1024);
    expect(before.timeSlice).toBeGreaterThan(0);
  });
});

// --- switch(), kill/throw with { pending: true } -----------------------------
import { Channel, scheduleRemove } from '../dist/cjs/index.js';

describe('Tasklet#switch()', () => {
  it('switches to the tasklet now; the caller leaves the run queue until inserted', async () => {
    const log: string[] = [];
    let a!: Tasklet;
    const b = new Tasklet(() => {
      log.push(`b runs; a scheduled: ${a.scheduled}`);
    });
    a = spawn(() => {
      b.setup();
      log.push('a switches');
      b.switch();
      log.push('a resumed');
    });
    await nextMacrotask();
    await nextMacrotask();
    expect(log).toEqual(['a switches', 'b runs; a scheduled: false']);
    expect(a.alive && !a.scheduled && !a.blocked).toBe(true);
    a.insert();
    await a.result;
    expect(log).toEqual(['a switches', 'b runs; a scheduled: false', 'a resumed']);
  });

  it('the caller resumes when the target run()s it', async () => {
    const log: string[] = [];
    let a!: Tasklet;
    const b = new Tasklet(() => {
      log.push('b');
      a.run();
      log.push('b again');
    });
    a = spawn(() => {
      b.setup();
      b.switch();
      log.push('a resumed');
    });
    await Promise.all([a.result, b.result]);
    expect(log).toEqual(['b', 'a resumed', 'b again']);
  });

  it('in main it is run(): main stays runnable and goes on once the tasklet yields', async () => {
    const log: string[] = [];
    const t = spawn(() => {
      log.push('t');
      schedule();
      log.push('t again');
    });
    t.switch();
    log.push('main');
    await t.result;
    expect(log).toEqual(['t', 'main', 't again']);
    getmain().switch(); // main on itself: nothing
  });

  it('misuse: an ended, blocked, unbound or main target; on itself it does nothing', async () => {
    const ended = spawn(() => {});
    await ended.result;
    expect(() => ended.switch()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_DEAD', message: 'switch(): the tasklet has ended' }));
    expect(() => new Tasklet().switch()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_NOT_BOUND' }));
    const ch = new Channel();
    const blocked = spawn(() => ch.receive());
    await nextMacrotask();
    expect(() => blocked.switch()).toThrow(expect.objectContaining({ code: 'ERR_TASKLET_BLOCKED' }));
    blocked.kill();
    const inner = spawn(() => {
      getcurrent().switch();
      try {
        getmain().switch();
      } catch (error) {
        return (error as TaskletError).code;
      }
      return 'no error';
    });
    expect(await inner.result).toBe('ERR_MAIN_TASKLET');
  });
});

describe('Tasklet#kill({ pending: true }) / throw(error, { pending: true })', () => {
  it('checks its options', () => {
    const t = spawn(() => {});
    expect(() => t.kill({ pendng: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => t.kill({ pending: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => t.kill({ pending: 1 } as never)).toThrow('The "options.pending" property must be of type boolean. Received type number (1)');
    expect(() => t.kill(5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => t.throw(new Error('x'), { pending: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => t.throw(new Error('x'), { other: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    t.kill({ pending: false });
    expect(t.alive).toBe(false);
  });

  it('a blocked receiver: its wait is withdrawn now (balance restored), it raises when it next runs', async () => {
    const ch = new Channel<number>();
    const log: string[] = [];
    const t = spawn(() => {
      try {
        ch.receive();
      } finally {
        log.push('finally');
      }
    });
    await nextMacrotask();
    expect(ch.balance).toBe(-1);
    t.kill({ pending: true });
    expect(log).toEqual([]); // not run now
    expect(ch.balance).toBe(0);
    expect(t.blocked).toBe(false);
    expect(t.scheduled).toBe(true);
    expect(ch.trySend(1)).toBe(false); // nobody waits any more: the value is not taken
    expect(await t.result).toBeUndefined();
    expect(log).toEqual(['finally']);
  });

  it('a blocked sender: its value is withdrawn and never received', async () => {
    const ch = new Channel<string>();
    const err = new Error('stop');
    const t = spawn(() => ch.send('lost?'));
    await nextMacrotask();
    t.throw(err, { pending: true });
    expect(ch.balance).toBe(0);
    expect(ch.tryReceive()).toEqual({ ok: false });
    await expect(t.result).rejects.toBe(err);
  });

  it('from a tasklet: does not switch; the target raises after the caller yields', async () => {
    const log: string[] = [];
    const target = spawn(() => {
      try {
        for (;;) schedule();
      } finally {
        log.push('target finally');
      }
    });
    const killer = spawn(() => {
      target.kill({ pending: true });
      log.push('killer goes on');
      schedule();
      log.push('killer after yield');
    });
    await Promise.all([target.result, killer.result]);
    expect(log).toEqual(['killer goes on', 'target finally', 'killer after yield']);
  });

  it('a queued tasklet: throw() comes out of its schedule() when it runs', async () => {
    const log: string[] = [];
    const u = spawn(() => {
      log.push('u starts');
      try {
        for (;;) schedule();
      } catch (error) {
        return `caught ${(error as Error).message}`;
      }
    });
    const driver = spawn(() => {
      schedule(); // u runs and yields: it is queued now
      expect(u.scheduled).toBe(true);
      u.throw(new Error('boom'), { pending: true });
      log.push('driver goes on');
    });
    await driver.result;
    expect(await u.result).toBe('caught boom');
    expect(log).toEqual(['u starts', 'driver goes on']);
  });

  it('a removed tasklet (scheduleRemove) is made runnable and its finally runs', async () => {
    const log: string[] = [];
    const t = spawn(() => {
      try {
        scheduleRemove();
        log.push('resumed normally');
      } finally {
        log.push('finally');
      }
    });
    await nextMacrotask();
    expect(t.scheduled).toBe(false);
    t.kill({ pending: true });
    expect(t.scheduled).toBe(true);
    await t.result;
    expect(log).toEqual(['finally']);
  });

  it('a tasklet that has not started ends without running its function', async () => {
    let ran = false;
    const t = spawn(() => {
      ran = true;
    });
    t.kill({ pending: true });
    expect(await t.result).toBeUndefined();
    expect(ran).toBe(false);
    const u = spawn(() => {
      ran = true;
    });
    const err = new Error('never started');
    u.throw(err, { pending: true });
    await expect(u.result).rejects.toBe(err);
    expect(ran).toBe(false);
    const notRunnable = new Tasklet(() => {});
    notRunnable.kill({ pending: true }); // no arguments bound: it just ends
    expect(notRunnable.alive).toBe(false);
  });

  it('on the current tasklet it raises at once (its next resumption is now)', async () => {
    const t = spawn(() => {
      try {
        getcurrent().throw(new Error('self'), { pending: true });
      } catch (error) {
        return (error as Error).message;
      }
      return 'not raised';
    });
    expect(await t.result).toBe('self');
    expect(() => getmain().kill({ pending: true })).toThrow(expect.objectContaining({ code: 'ERR_MAIN_TASKLET' }));
  });

  it('a tasklet waiting in blockOn(): the wait is withdrawn, the promise settling later changes nothing', async () => {
    let resolve!: (v: number) => void;
    const p = new Promise<number>((r) => (resolve = r));
    const t = spawn(() => blockOn(p));
    await nextMacrotask();
    expect(t.blocked).toBe(true);
    t.kill({ pending: true });
    expect(await t.result).toBeUndefined();
    resolve(1);
    await nextMacrotask();
    expect(t.alive).toBe(false);
  });
});

describe('kill({ pending: true }) and the process exit', () => {
  it('a sleeper killed with pending leaves no timer: the process exits at once', () => {
    const r = runChild(`
      const t = T.spawn(() => { try { T.sleep(60_000); } finally { console.log('finally'); } });
      setTimeout(() => { t.kill({ pending: true }); console.log('killed'); }, 10);
      process.on('exit', () => console.log('exit'));
    `, { timeoutMs: 10_000 }); // the sleep is 60 s: a timer left behind would hit this limit
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('killed\nfinally\nexit\n');
  });
});
