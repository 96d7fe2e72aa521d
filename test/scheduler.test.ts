import { describe, expect, it } from 'vitest';
import {
  Channel,
  Tasklet,
  blockOn,
  configure,
  getcurrent,
  run,
  schedule,
  scheduleRemove,
  sleep,
  spawn,
  stats,
} from '../dist/cjs/index.js';
import { nextMacrotask, runChild } from './helpers';

describe('schedule()', () => {
  it('round-robins the runnable tasklets in order', async () => {
    const log: string[] = [];
    const body = (name: string) => () => {
      for (let i = 0; i < 3; i++) {
        log.push(`${name}${i}`);
        schedule();
      }
    };
    const ts = ['a', 'b', 'c'].map((n) => spawn(body(n)));
    await Promise.all(ts.map((t) => t.result));
    expect(log.join(' ')).toBe('a0 b0 c0 a1 b1 c1 a2 b2 c2');
  });

  it('in main runs one round of the queue, then returns', () => {
    const log: string[] = [];
    spawn(() => {
      log.push('a1');
      schedule();
      log.push('a2');
    });
    spawn(() => log.push('b'));
    schedule();
    log.push('main');
    run();
    expect(log).toEqual(['a1', 'b', 'main', 'a2']);
  });

  it('switches straight from tasklet to tasklet (main waits in the pump)', async () => {
    configure({ timeSlice: 60_000 });
    let mainRanBetween = false;
    let inLoop = false;
    const a = spawn(() => {
      for (let i = 0; i < 1000; i++) {
        inLoop = true;
        schedule();
      }
      inLoop = false;
    });
    const b = spawn(() => {
      for (let i = 0; i < 1000; i++) schedule();
    });
    queueMicrotask(() => {
      if (inLoop) mainRanBetween = true;
    });
    await Promise.all([a.result, b.result]);
    configure({ timeSlice: 10 });
    expect(mainRanBetween).toBe(false);
  });
});

describe('the time slice', () => {
  // Each loop never waits for the event loop; a 50 ms timer must still fire
  // within a few slices (issue: a wake during the slice kept the pump in
  // microtasks for good).
  const loops: Array<[string, string]> = [
    ['a schedule() loop', `T.spawn(() => { for (;;) T.schedule(); });`],
    ...[-1, 0, 1].map((p): [string, string] => [
      `a channel ping-pong at preference ${p}`,
      `const a = new T.Channel(), b = new T.Channel(); a.preference = b.preference = ${p};
       T.spawn(() => { for (;;) { a.send(1); b.receive(); } });
       T.spawn(() => { for (;;) { a.receive(); b.send(2); } });`,
    ]),
    ['spawn(() => {}) + schedule()', `T.spawn(() => { for (;;) { T.spawn(() => {}); T.schedule(); } });`],
    [
      'a select() ping-pong',
      `const a = new T.Channel(), b = new T.Channel(); a.preference = b.preference = 0;
       T.spawn(() => { for (;;) { T.select([{ send: a, value: 1 }]); T.select([{ receive: b }]); } });
       T.spawn(() => { for (;;) { T.select([{ receive: a }]); T.select([{ send: b, value: 2 }]); } });`,
    ],
    ['blockOn() of promises settled in microtasks', `T.spawn(() => { for (;;) T.blockOn(Promise.resolve().then(() => 1)); });`],
    [
      'a buffered channel between two tasklets',
      `const c = new T.Channel({ capacity: 4 });
       T.spawn(() => { for (;;) c.send(1); });
       T.spawn(() => { for (;;) c.receive(); });`,
    ],
  ];
  it.each(loops)('%s lets a 50 ms timer fire', (_, loop) => {
    const r = runChild(
      `const start = Date.now();
       setTimeout(() => { console.log('timer fired after', Date.now() - start < 2_000 ? 'a few slices' : 'too long'); process.exit(0); }, 50);
       ${loop}`,
      { timeoutMs: 10_000 },
    );
    expect(r.timedOut, 'the event loop was starved').toBe(false);
    expect(r.stdout).toBe('timer fired after a few slices\n');
    expect(r.status).toBe(0);
  });

  it('configure({ timeSlice }) applies to the slice already running', async () => {
    configure({ timeSlice: 60_000 });
    let loopTurned = false;
    setImmediate(() => (loopTurned = true));
    let after = 0;
    const t = spawn(() => {
      for (let i = 0; i < 100; i++) schedule(); // inside a 60 s slice
      configure({ timeSlice: 0 }); // ...which must end at the next clock check
      while (!loopTurned && after < 100_000) {
        after++;
        schedule();
      }
    });
    await t.result;
    configure({ timeSlice: 10 });
    // The clock is read every 16th switch: control went back to the loop
    // within a few checks (with the old 60 s slice: all 100,000 switches).
    expect(loopTurned).toBe(true);
    expect(after).toBeLessThanOrEqual(64);
  });
});

describe('main switching to tasklets itself', () => {
  it('a tasklet that run() or kill() from main left runnable goes on without another wake-up', () => {
    const r = runChild(`
      const log = [];
      const a = new T.Tasklet().bind(() => { log.push('a1'); T.schedule(); log.push('a2'); }, []);
      const killed = T.spawn(() => { try { T.sleep(1e6); } finally { T.schedule(); log.push('k2'); } });
      setTimeout(() => {
        a.run(); // a yields back to main and stays runnable: nothing else wakes anyone
        setTimeout(() => {
          log.push('|');
          killed.kill(); // its finally yields back to main and stays runnable
          setTimeout(() => console.log(log.join(' '), a.alive || killed.alive), 20);
        }, 20);
      }, 5);
    `);
    expect(r.timedOut).toBe(false);
    expect(r.stdout.trim()).toBe('a1 a2 | k2 false');
  });
});

describe('scheduleRemove()', () => {
  it('sleeps until insert() and refuses main', async () => {
    const log: string[] = [];
    const t = spawn(() => {
      log.push('before');
      scheduleRemove();
      log.push('after');
    });
    await nextMacrotask();
    expect(log).toEqual(['before']);
    expect(t.scheduled).toBe(false);
    expect(t.alive).toBe(true);
    expect(t.blocked).toBe(false);
    t.insert();
    await t.result;
    expect(log).toEqual(['before', 'after']);
    expect(() => scheduleRemove()).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
  });
});

describe('run()', () => {
  it('drives the queue synchronously from main until nothing is runnable', () => {
    const log: string[] = [];
    spawn(() => {
      log.push('a');
      schedule();
      log.push('a again');
    });
    spawn(() => log.push('b'));
    run();
    expect(log).toEqual(['a', 'b', 'a again']);
  });

  it('returns while tasklets wait on promises, which finish on the event loop', async () => {
    const t = spawn(() => blockOn(new Promise((r) => setTimeout(() => r('done'), 5))));
    run();
    expect(t.blocked).toBe(true);
    expect(await t.result).toBe('done');
  });

  it('is refused inside a tasklet', async () => {
    const t = spawn(() => {
      try {
        run();
      } catch (e) {
        return (e as { code: string }).code;
      }
    });
    expect(await t.result).toBe('ERR_TASKLET_CURRENT');
  });
});

describe('spinning waiters', () => {
  it('all stop spinning once every tasklet waits or ended (no spinner slot is kept)', async () => {
    // Four tasklets yielding round-robin, then a channel pair beside a
    // yielding tasklet: waiters take and give back spinner slots all along.
    const ts = [0, 1, 2, 3].map(() =>
      spawn(() => {
        for (let i = 0; i < 2000; i++) schedule();
      }),
    );
    await Promise.all(ts.map((t) => t.result));
    const ch = new Channel<number>();
    let sum = 0;
    const pair = [
      spawn(() => {
        for (let i = 1; i <= 2000; i++) ch.send(i);
      }),
      spawn(() => {
        for (let i = 0; i < 2000; i++) sum += ch.receive();
      }),
      spawn(() => {
        for (let i = 0; i < 2000; i++) schedule();
      }),
    ];
    await Promise.all(pair.map((t) => t.result));
    expect(sum).toBe(2001000);
    await new Promise((r) => setTimeout(r, 50)); // a spin lasts at most ~50 us
    expect(stats().spinning).toBe(0);
  });
});

describe('the event-loop pump', () => {
  it('starts spawned tasklets in the same macrotask, before setImmediate callbacks', async () => {
    const log: string[] = [];
    setImmediate(() => log.push('immediate'));
    spawn(() => log.push('tasklet'));
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['tasklet', 'immediate']);
  });

  it('does not let a tasklet looping on schedule() starve timers and I/O', async () => {
    configure({ timeSlice: 5 });
    let spins = 0;
    let stop = false;
    const spinner = spawn(() => {
      while (!stop) {
        spins++;
        schedule();
      }
    });
    const fired = await new Promise<number>((resolve) => setTimeout(() => resolve(spins), 20));
    stop = true;
    await spinner.result;
    configure({ timeSlice: 10 });
    expect(fired).toBeGreaterThan(0);
  });

  it('a tasklet that never yields can still be killed once it does', async () => {
    const t = spawn(() => {
      for (;;) schedule();
    });
    await new Promise((r) => setTimeout(r, 15));
    expect(t.alive).toBe(true);
    t.kill();
    expect(t.alive).toBe(false);
  });

  it('uses well under 10% of a core while 200 tasklets wait (child process)', () => {
    const r = runChild(`
      const ts = [];
      let waiting = 0;
      for (let i = 0; i < 200; i++) ts.push(T.spawn(() => { waiting++; T.sleep(2500); }));
      // Measure from the moment all 200 wait (each has its strand), plus a
      // margin, for one second: the waiting, not the start-up.
      const ready = setInterval(() => {
        if (waiting < 200) return;
        clearInterval(ready);
        setTimeout(() => {
          const u0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
          setTimeout(() => {
            const u = process.cpuUsage(u0); const wall = Number(process.hrtime.bigint() - t0) / 1000;
            console.log(JSON.stringify({ cpu: (u.user + u.system) / wall, strands: T.stats().strands }));
          }, 1000);
        }, 100);
      }, 10);
    `);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    const { cpu, strands } = JSON.parse(r.stdout.trim());
    expect(strands).toBe(200);
    expect(cpu).toBeLessThan(0.1);
  });
});

describe('strands', () => {
  it('are pooled: a finished tasklet gives its strand to the next one', async () => {
    const before = stats().strands;
    for (let i = 0; i < 20; i++) await spawn(() => sleep(0)).result;
    expect(stats().strands - before).toBeLessThanOrEqual(1);
  });

  it('are only taken when a tasklet first runs: 100k spawned tasklets cost no threads', async () => {
    const before = stats().strands;
    const ts: Tasklet[] = [];
    for (let i = 0; i < 100_000; i++) ts.push(new Tasklet(() => 0).bind(() => 0, []));
    for (const t of ts) t.insert();
    for (const t of ts) t.remove();
    expect(stats().strands).toBe(before);
    for (const t of ts) t.kill();
  });

  it('a dying tasklet starts the next new one on its own strand', async () => {
    const before = stats().strands;
    const ts = Array.from({ length: 100 }, (_, i) => spawn(() => i));
    await Promise.all(ts.map((t) => t.result));
    expect(stats().strands - before).toBeLessThanOrEqual(1);
  });
});

// Under AddressSanitizer (scripts/sanitize.sh) `ulimit -v` leaves no room for
// the shadow memory: the child could not even start.
const underAsan = process.env.TASKLET_SANITIZER === '1';
if (underAsan) console.log('SKIPPED: the ERR_THREAD_LIMIT test (ulimit -v cannot run under ASan)');

describe('when the OS refuses a thread or a stack', () => {
  it.skipIf(underAsan)('the tasklet that needed it fails with ERR_THREAD_LIMIT; the others and the process go on', () => {
    // 4 GiB stacks under a 6 GiB address-space limit: the first strand fits,
    // the next ones cannot be created.
    const r = runChild(
      `
      T.configure({ stackSize: 2 ** 32 });
      const ts = [];
      for (let i = 0; i < 4; i++) ts.push(T.spawn(() => { T.sleep(20); return i; }));
      Promise.allSettled(ts.map((t) => t.result)).then((rs) => {
        console.log(JSON.stringify(rs.map((x) => (x.status === 'fulfilled' ? x.value : x.reason.code))));
        console.log(rs.find((x) => x.status === 'rejected').reason.message);
      });
    `,
      { ulimitVirtualKb: 6 * 1024 * 1024 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    const [codes, message] = r.stdout.trim().split('\n');
    expect(JSON.parse(codes)).toEqual([0, 'ERR_THREAD_LIMIT', 'ERR_THREAD_LIMIT', 'ERR_THREAD_LIMIT']);
    const what = stats().engine === 'fiber' ? 'fiber stack' : 'strand thread';
    expect(message).toContain(`the OS refused a new ${what} (stack 4294967296 bytes)`);
  });
});

describe('current tasklet bookkeeping', () => {
  it('getcurrent() is right after every kind of switch', async () => {
    const ids: boolean[] = [];
    const body = () => {
      const me = getcurrent();
      ids.push(getcurrent() === me);
      schedule();
      ids.push(getcurrent() === me);
      blockOn(new Promise((r) => setTimeout(r, 1)));
      ids.push(getcurrent() === me);
      sleep(1);
      ids.push(getcurrent() === me);
    };
    await Promise.all([spawn(body), spawn(body), spawn(body)].map((t) => t.result));
    expect(ids).toHaveLength(12);
    expect(ids.every(Boolean)).toBe(true);
    expect(getcurrent().isMain).toBe(true);
  });
});
