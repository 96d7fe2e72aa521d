// setScheduleCallback() / setChannelCallback(): what they report, argument
// checks, and that a throwing or misbehaving callback leaves the scheduler intact.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Channel,
  Tasklet,
  TaskletError,
  blockOn,
  getcurrent,
  getmain,
  run,
  schedule,
  select,
  setChannelCallback,
  setScheduleCallback,
  spawn,
} from '../dist/cjs/index.js';
import { nextMacrotask, runChild } from './helpers';

afterEach(() => {
  setScheduleCallback(null);
  setChannelCallback(null);
});

const name = (t: Tasklet): string => (t.isMain ? 'main' : t.name);

describe('setScheduleCallback()', () => {
  it('checks its argument and returns the previous callback', () => {
    for (const bad of [undefined, 1, 'f', {}]) {
      expect(() => setScheduleCallback(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(() => setScheduleCallback(1 as never)).toThrow('The "fn" argument must be of type function or null. Received type number (1)');
    const f = (): void => {};
    const g = (): void => {};
    expect(setScheduleCallback(f)).toBeNull();
    expect(setScheduleCallback(g)).toBe(f);
    expect(setScheduleCallback(null)).toBe(g);
    expect(setScheduleCallback(null)).toBeNull();
  });

  it('reports (prev, next) for every switch: start from main, schedule(), blocking, wake, tasklet end (prev no longer alive)', async () => {
    const log: string[] = [];
    setScheduleCallback((prev, next) => {
      expect(getcurrent()).toBe(prev); // called before the switch, on prev's stack
      log.push(`${name(prev)}${prev.alive ? '' : '(ended)'}>${name(next)}`);
    });
    const ch = new Channel<number>();
    ch.preference = 0;
    const a = spawn(function a() {
      schedule();
      ch.receive();
    });
    const b = spawn(function b() {
      ch.send(1);
    });
    await Promise.all([a.result, b.result]);
    setScheduleCallback(null);
    expect(log).toEqual([
      'main>a', // the pump starts a
      'a>b', // a yields (schedule): b starts
      'b>a', // b's send finds no receiver and blocks
      'a(ended)>b', // a receives (b is queued: preference 0) and ends: the hand-off at its end
      'b(ended)>main', // b ends
    ]);
  });

  it('reports run() from main and the switch back; removed with null', async () => {
    const log: string[] = [];
    setScheduleCallback((prev, next) => log.push(`${name(prev)}>${name(next)}`));
    const t = new Tasklet(function t() {
      schedule();
    }).setup();
    t.run();
    expect(log).toEqual(['main>t', 't>main']);
    run();
    expect(log).toEqual(['main>t', 't>main', 'main>t', 't>main']);
    setScheduleCallback(null);
    await t.result;
    const u = spawn(() => schedule());
    await u.result;
    expect(log).toHaveLength(4);
  });

  it('a throwing callback: the error is re-thrown as an uncaught exception; every switch still happens', () => {
    const r = runChild(`
      let uncaught = [];
      process.on('uncaughtException', (e) => uncaught.push(e.message));
      let calls = 0;
      T.setScheduleCallback(() => { calls++; throw new Error('cb ' + calls); });
      const ch = new T.Channel();
      const got = [];
      const rx = T.spawn(() => { for (let i = 0; i < 3; i++) got.push(ch.receive()); });
      const tx = T.spawn(() => { for (let i = 0; i < 3; i++) { ch.send(i); T.schedule(); } });
      Promise.all([rx.result, tx.result]).then(() => {
        T.setScheduleCallback(null);
        // Each report is its own uncaught exception (Node runs the ticks after one that threw on later turns).
        const print = () => uncaught.length < calls ? setTimeout(print, 5) :
          console.log(JSON.stringify({ got, calls, uncaught: uncaught.length, first: uncaught[0],
            live: T.stats().liveTasklets, runcount: T.getruncount(), balance: ch.balance }));
        print();
      });
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.got).toEqual([0, 1, 2]);
    expect(out.calls).toBeGreaterThan(3);
    expect(out.uncaught).toBe(out.calls);
    expect(out.first).toBe('cb 1');
    expect(out).toMatchObject({ live: 0, runcount: 1, balance: 0 });
  });

  it('without an uncaughtException handler, a throwing callback ends the process like any uncaught error', () => {
    const r = runChild(`
      T.setScheduleCallback(() => { throw new Error('from the callback'); });
      T.spawn(() => {});
    `);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('from the callback');
  });

  it('a callback may not switch or block (ERR_IN_CALLBACK), may queue, and is not re-entered', async () => {
    const codes: string[] = [];
    const ch = new Channel<number>({ capacity: 1 });
    const parked = new Channel<number>();
    let spawned: Tasklet | undefined;
    const victim = spawn(() => parked.receive());
    await nextMacrotask();
    const calls: string[] = [];
    setScheduleCallback((prev, next) => {
      calls.push(`${name(prev)}>${name(next)}`);
      if (prev.isMain) return; // in main, blocking calls throw ERR_BLOCKING_IN_MAIN first
      const tries = [
        () => schedule(),
        () => victim.kill(),
        () => victim.throw(new Error('x')),
        () => blockOn(new Promise(() => {})),
        () => parked.send(1),
        () => select([{ receive: parked }]),
      ];
      for (const f of tries) {
        try {
          f();
        } catch (error) {
          codes.push((error as TaskletError).code);
        }
      }
      ch.trySend(1); // no switch: allowed (and not reported to the channel callback)
      ch.tryReceive();
      if (spawned === undefined) spawned = spawn(function spawned() {}); // queues only: allowed
    });
    await spawn(function worker() {
      schedule();
    }).result;
    await spawned!.result;
    setScheduleCallback(null);
    const stillBlocked = victim.blocked && parked.balance === -1; // nothing reached it
    victim.kill({ pending: true });
    expect(stillBlocked).toBe(true);
    expect(calls).toEqual(['main>worker', 'worker>main', 'main>spawned', 'spawned>main']);
    expect(codes).toEqual(new Array(2 * 6).fill('ERR_IN_CALLBACK'));
    expect(ch.balance).toBe(0);
    await victim.result;
  });

  it('the message names the way out', async () => {
    let message = '';
    setScheduleCallback(() => {
      try {
        schedule();
      } catch (error) {
        message = (error as Error).message;
      }
    });
    await spawn(() => {}).result;
    expect(message).toBe(
      'a schedule or channel callback cannot switch tasklets or block; defer the work (queueMicrotask(), insert(), or kill({ pending: true }))',
    );
  });

  it('kill({ pending: true }) of the tasklet about to run, from the callback: it raises at once, no tasklet lost', async () => {
    const log: string[] = [];
    const t = spawn(function victim() {
      try {
        for (;;) schedule();
      } finally {
        log.push('finally');
      }
    });
    await nextMacrotask();
    let done = false;
    setScheduleCallback((_prev, next) => {
      if (next === t && !done) {
        done = true;
        next.kill({ pending: true });
      }
    });
    await t.result;
    expect(log).toEqual(['finally']);
    expect(getmain().isCurrent).toBe(true);
  });

  it('throw({ pending: true }) of the tasklet about to run, from the callback: it runs once, not also queued', async () => {
    const ch = new Channel<string>();
    const t = spawn(function victim() {
      try {
        for (;;) schedule();
      } catch (error) {
        // Caught: it goes on and must really wait now (not find itself queued and return at once).
        return `${(error as Error).message}: ${ch.receive()}`;
      }
    });
    await nextMacrotask();
    let done = false;
    setScheduleCallback((_prev, next) => {
      if (next === t && !done) {
        done = true;
        next.throw(new Error('from the callback'), { pending: true });
      }
    });
    await nextMacrotask();
    setScheduleCallback(null);
    expect(t.blocked).toBe(true);
    expect(ch.balance).toBe(-1);
    await ch.sendAsync('then received');
    expect(await t.result).toBe('from the callback: then received');
  });
});

describe('setChannelCallback()', () => {
  it('checks its argument and returns the previous callback', () => {
    expect(() => setChannelCallback(false as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const f = (): void => {};
    expect(setChannelCallback(f)).toBeNull();
    expect(setChannelCallback(null)).toBe(f);
  });

  it('reports send/receive with willBlock, the caller as tasklet (main for the Async forms called in main)', async () => {
    const ch = new Channel<number>();
    const log: string[] = [];
    setChannelCallback((c, t, isSending, willBlock) => {
      expect(c).toBe(ch);
      log.push(`${name(t)} ${isSending ? 'send' : 'receive'}${willBlock ? ' waits' : ''}`);
    });
    const r = spawn(function r() {
      return ch.receive();
    });
    await nextMacrotask();
    const s = spawn(function s() {
      ch.send(1);
    });
    await Promise.all([r.result, s.result]);
    const p = ch.receiveAsync();
    await ch.sendAsync(2);
    expect(await p).toBe(2);
    expect(ch.trySend(3)).toBe(false); // failed try forms are not reported
    expect(ch.tryReceive()).toEqual({ ok: false });
    const e = spawn(function e() {
      ch.sendException(new Error('x'));
    });
    await nextMacrotask();
    expect(() => ch.tryReceive()).toThrow('x');
    await e.result;
    expect(log).toEqual(['r receive waits', 's send', 'main receive waits', 'main send', 'e send waits', 'main receive']);
  });

  it('reports select() cases: the one that completes, or every case it waits on', async () => {
    const a = new Channel<number>();
    const b = new Channel<number>({ capacity: 1 });
    const log: string[] = [];
    setChannelCallback((c, t, isSending, willBlock) => log.push(`${c === a ? 'a' : 'b'} ${isSending ? 'send' : 'receive'}${willBlock ? ' waits' : ''}`));
    b.trySend(1);
    const t = spawn(() => [select([{ receive: a }, { receive: b }]), select([{ receive: a }, { send: b, value: 2 }, { receive: b }])]);
    await nextMacrotask();
    expect(log).toEqual(['b send', 'b receive', 'b send']);
    // The second select: b had room again, so its send case completed at once.
    expect((await t.result).map((r) => r.index)).toEqual([1, 1]);
    log.length = 0;
    const w = spawn(() => select([{ receive: a }, { send: b, value: 3 }]));
    await nextMacrotask();
    expect(log).toEqual(['a receive waits', 'b send waits']);
    expect(b.tryReceive()).toEqual({ ok: true, value: 2 });
    expect(log.at(-1)).toBe('b receive');
    await w.result;
  });

  it('a callback that uses the channel while a send is about to wait: the send sees the new state, nothing lost', async () => {
    const ch = new Channel<string>({ capacity: 1 });
    ch.trySend('first');
    let once = false;
    setChannelCallback((c, _t, isSending, willBlock) => {
      if (isSending && willBlock && !once) {
        once = true;
        expect(c.tryReceive()).toEqual({ ok: true, value: 'first' }); // makes room before the sender is queued
      }
    });
    const t = spawn(() => ch.send('second'));
    await t.result; // did not block: the buffer had room by then
    expect(ch.tryReceive()).toEqual({ ok: true, value: 'second' });
    expect(ch.balance).toBe(0);
  });

  it('is not called again for the channel operations a callback makes itself', () => {
    const ch = new Channel<number>({ capacity: 4 });
    const side = new Channel<string>({ capacity: 4 });
    const seen: string[] = [];
    setChannelCallback((c, _t, isSending) => {
      seen.push(`${c === ch ? 'ch' : 'side'} ${isSending ? 'send' : 'receive'}`);
      side.trySend('note'); // not reported
    });
    expect(ch.trySend(1)).toBe(true);
    expect(ch.tryReceive()).toEqual({ ok: true, value: 1 });
    setChannelCallback(null);
    expect(seen).toEqual(['ch send', 'ch receive']);
    expect(side.buffered).toBe(2);
  });

  it('a throwing channel callback: reported as an uncaught exception, the operation completes', () => {
    const r = runChild(`
      const errors = [];
      process.on('uncaughtException', (e) => errors.push(e.message));
      T.setChannelCallback(() => { throw new Error('chan cb'); });
      const ch = new T.Channel();
      const rx = T.spawn(() => ch.receive());
      const tx = T.spawn(() => ch.send(42));
      Promise.all([rx.result, tx.result]).then(([v]) => {
        T.setChannelCallback(null);
        setImmediate(() => console.log(JSON.stringify({ v, errors, balance: ch.balance, live: T.stats().liveTasklets })));
      });
    `);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ v: 42, errors: ['chan cb', 'chan cb'], balance: 0, live: 0 });
  });
});
