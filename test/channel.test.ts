import { describe, expect, it } from 'vitest';
import {
  Channel,
  ChannelClosedError,
  Tasklet,
  TaskletError,
  TaskletExit,
  ThreadChannel,
  schedule,
  select,
  sleep,
  spawn,
} from '../dist/cjs/index.js';
import { nextMacrotask, seeded } from './helpers';


describe('new Channel()', () => {
  it('validates capacity, naming the option', () => {
    expect(() => new Channel({ capacity: -1 })).toThrow(RangeError);
    expect(() => new Channel({ capacity: -1 })).toThrow(/options\.capacity/);
    expect(() => new Channel({ capacity: 1.5 })).toThrow(/options\.capacity/);
    expect(() => new Channel({ capacity: '2' as never })).toThrow(TypeError);
    expect(new Channel({ capacity: Infinity }).balance).toBe(0);
  });

  it('validates preference, naming it', () => {
    const ch = new Channel();
    expect(ch.preference).toBe(-1);
    expect(() => (ch.preference = 2 as never)).toThrow(RangeError);
    expect(() => (ch.preference = 2 as never)).toThrow(/"preference" is out of range. It must be -1, 0 or 1/);
    expect(() => (ch.preference = 'x' as never)).toThrow(TypeError);
    ch.preference = 1;
    expect(ch.preference).toBe(1);
  });
});

describe('Channel#send() / receive()', () => {
  it('rendezvous: the very object sent is received, and send blocks until it is taken', async () => {
    const ch = new Channel<object>();
    const obj = { big: new Array(10).fill(1) };
    const log: string[] = [];
    const sender = spawn(() => {
      log.push('sending');
      ch.send(obj);
      log.push('sent');
    });
    await nextMacrotask();
    expect(log).toEqual(['sending']);
    expect(ch.balance).toBe(1);
    expect(sender.blocked).toBe(true);
    const receiver = spawn(() => ch.receive());
    expect(await receiver.result).toBe(obj);
    await sender.result;
    expect(log).toEqual(['sending', 'sent']);
    expect(ch.balance).toBe(0);
  });

  it('balance is negative while receivers wait', async () => {
    const ch = new Channel<number>();
    const rs = [spawn(() => ch.receive()), spawn(() => ch.receive())];
    await nextMacrotask();
    expect(ch.balance).toBe(-2);
    await ch.sendAsync(1);
    await ch.sendAsync(2);
    expect(await Promise.all(rs.map((r) => r.result))).toEqual([1, 2]);
    expect(ch.balance).toBe(0);
  });

  it('sendException(): the receiver throws that very error', async () => {
    const ch = new Channel();
    const err = new Error('over the channel');
    const r = spawn(() => {
      try {
        ch.receive();
      } catch (e) {
        return e;
      }
    });
    spawn(() => ch.sendException(err));
    expect(await r.result).toBe(err);
  });

  it('in main: send, receive and sendException throw ERR_BLOCKING_IN_MAIN naming the async form', () => {
    const ch = new Channel();
    expect(() => ch.send(1)).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
    expect(() => ch.send(1)).toThrow('Channel#send() cannot block the main thread; use sendAsync()');
    expect(() => ch.receive()).toThrow('Channel#receive() cannot block the main thread; use receiveAsync()');
    expect(() => ch.sendException(new Error())).toThrow(TaskletError);
    expect(ch.balance).toBe(0);
  });
});

describe('Channel#preference', () => {
  // Who runs first after the rendezvous, for a sender finding a waiting
  // receiver and for a receiver finding a waiting sender.
  async function order(preference: -1 | 0 | 1, senderFirst: boolean): Promise<string[]> {
    const ch = new Channel<string>();
    ch.preference = preference;
    const log: string[] = [];
    const send = () => {
      ch.send('v');
      log.push('sender continues');
    };
    const receive = () => {
      ch.receive();
      log.push('receiver continues');
    };
    const [first, second] = senderFirst ? [send, receive] : [receive, send];
    const a = spawn(first);
    await nextMacrotask(); // `first` is now waiting on the channel
    const b = spawn(second);
    const c = spawn(() => log.push('third tasklet'));
    await Promise.all([a.result, b.result, c.result]);
    return log;
  }

  it('-1 (default): the receiver runs first', async () => {
    // a waiting receiver is switched to at once; the sender runs right after it
    expect(await order(-1, false)).toEqual(['receiver continues', 'sender continues', 'third tasklet']);
    // a receiver that finds a waiting sender keeps running; the sender is queued
    expect(await order(-1, true)).toEqual(['receiver continues', 'third tasklet', 'sender continues']);
  });

  it('1: the sender runs first', async () => {
    expect(await order(1, false)).toEqual(['sender continues', 'third tasklet', 'receiver continues']);
    expect(await order(1, true)).toEqual(['sender continues', 'receiver continues', 'third tasklet']);
  });

  it('0: neither is preferred: the caller goes on and the woken side is queued', async () => {
    expect(await order(0, false)).toEqual(['sender continues', 'third tasklet', 'receiver continues']);
    expect(await order(0, true)).toEqual(['receiver continues', 'third tasklet', 'sender continues']);
  });
});

describe('buffered channels', () => {
  it('with capacity 3, three sends return at once and the fourth blocks', async () => {
    const ch = new Channel<number>({ capacity: 3 });
    const log: string[] = [];
    const sender = spawn(() => {
      for (let i = 1; i <= 4; i++) {
        ch.send(i);
        log.push(`sent ${i}`);
      }
    });
    await nextMacrotask();
    expect(log).toEqual(['sent 1', 'sent 2', 'sent 3']);
    expect(ch.buffered).toBe(3);
    expect(ch.balance).toBe(1);
    expect(sender.blocked).toBe(true);
    expect(await ch.receiveAsync()).toBe(1);
    // the waiting sender's value moved into the freed slot
    expect(ch.buffered).toBe(3);
    await sender.result;
    expect(log).toEqual(['sent 1', 'sent 2', 'sent 3', 'sent 4']);
    const rest = [await ch.receiveAsync(), await ch.receiveAsync(), await ch.receiveAsync()];
    expect(rest).toEqual([2, 3, 4]);
  });
});

describe('Channel#close()', () => {
  it('with senders pending: closing until drained, then closed; further sends fail', async () => {
    const ch = new Channel<number>();
    const senders = [1, 2].map((v) => spawn(() => ch.send(v)));
    await nextMacrotask();
    ch.close();
    expect(ch.closing).toBe(true);
    expect(ch.closed).toBe(false);
    expect(ch.balance).toBe(2);
    await expect(ch.sendAsync(3)).rejects.toThrow(ChannelClosedError);
    expect(await ch.receiveAsync()).toBe(1);
    expect(ch.closed).toBe(false);
    expect(await ch.receiveAsync()).toBe(2);
    expect(ch.closed).toBe(true);
    await Promise.all(senders.map((s) => s.result));
    const err = await ch.receiveAsync().catch((e) => e);
    expect(err).toBeInstanceOf(ChannelClosedError);
    expect(err.code).toBe('ERR_CHANNEL_CLOSED');
    const late = spawn(() => ch.send(9));
    await expect(late.result).rejects.toThrow('Channel#send(): the channel is closed');
  });

  it('wakes waiting receivers of an empty channel with ChannelClosedError', async () => {
    const ch = new Channel();
    const r = spawn(() => {
      try {
        ch.receive();
      } catch (e) {
        return e;
      }
    });
    await nextMacrotask();
    ch.close();
    expect(await r.result).toBeInstanceOf(ChannelClosedError);
    expect(ch.balance).toBe(0);
  });

  it('open() makes a closed channel usable again', async () => {
    const ch = new Channel<number>({ capacity: 1 });
    ch.close();
    expect(ch.closed).toBe(true);
    ch.open();
    expect(ch.closing).toBe(false);
    await ch.sendAsync(5);
    expect(await ch.receiveAsync()).toBe(5);
  });
});

describe('iteration', () => {
  it('for (const v of ch) in a tasklet ends when the channel is closed and drained', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    spawn(() => {
      for (let i = 0; i < 5; i++) ch.send(i);
      ch.close();
    });
    const consumer = spawn(() => {
      const got: number[] = [];
      for (const v of ch) got.push(v);
      return got;
    });
    expect(await consumer.result).toEqual([0, 1, 2, 3, 4]);
  });

  it('for await from main', async () => {
    const ch = new Channel<string>();
    spawn(() => {
      for (const s of ['a', 'b', 'c']) ch.send(s);
      ch.close();
    });
    const got: string[] = [];
    for await (const s of ch) got.push(s);
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('sync iteration in main is refused', () => {
    const ch = new Channel();
    expect(() => [...ch]).toThrow(expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }));
  });
});

describe('killing or throwing into a blocked tasklet', () => {
  it('a kill during a blocked send: the value is not delivered and balance is right', async () => {
    const ch = new Channel<string>();
    const victim = spawn(() => ch.send('lost'));
    const other = spawn(() => ch.send('kept'));
    await nextMacrotask();
    expect(ch.balance).toBe(2);
    victim.kill();
    expect(ch.balance).toBe(1);
    expect(await ch.receiveAsync()).toBe('kept');
    expect(ch.balance).toBe(0);
    await other.result;
    await expect(victim.result).resolves.toBeUndefined();
  });

  it('throw() into a blocked receiver removes it from the channel', async () => {
    const ch = new Channel<number>();
    const victim = spawn(() => ch.receive());
    const other = spawn(() => ch.receive());
    await nextMacrotask();
    expect(ch.balance).toBe(-2);
    const err = new Error('stop');
    victim.throw(err);
    await expect(victim.result).rejects.toBe(err);
    expect(ch.balance).toBe(-1);
    await ch.sendAsync(7);
    expect(await other.result).toBe(7);
  });
});

describe('select()', () => {
  it('takes the first ready case of three channels, or the default case', async () => {
    const [a, b, c] = [new Channel<string>(), new Channel<string>({ capacity: 1 }), new Channel<string>()];
    const cases = [{ receive: a }, { receive: b }, { send: c, value: 'out' }, { default: true as const }];
    expect(select(cases)).toEqual({ index: 3, value: undefined, closed: false });
    await b.sendAsync('buffered');
    expect(select(cases)).toEqual({ index: 1, value: 'buffered', closed: false });
    const receiver = spawn(() => c.receive());
    await nextMacrotask();
    expect(select(cases)).toEqual({ index: 2, value: undefined, closed: false });
    expect(await receiver.result).toBe('out');
  });

  it('blocks a tasklet until one case is ready and completes only that one', async () => {
    const [a, b, c] = [new Channel<number>(), new Channel<number>(), new Channel<number>()];
    const t = spawn(() => select([{ receive: a }, { receive: b }, { send: c, value: 1 }]));
    await nextMacrotask();
    expect([a.balance, b.balance, c.balance]).toEqual([-1, -1, 1]);
    await b.sendAsync(42);
    expect(await t.result).toEqual({ index: 1, value: 42, closed: false });
    expect([a.balance, b.balance, c.balance]).toEqual([0, 0, 0]);
  });

  it('a send case completes when a receiver comes', async () => {
    const a = new Channel<number>();
    const t = spawn(() => select([{ receive: new Channel() }, { send: a, value: 5 }]));
    await nextMacrotask();
    expect(await a.receiveAsync()).toBe(5);
    expect(await t.result).toEqual({ index: 1, value: undefined, closed: false });
  });

  it('reports a receive case on a closed channel as closed', async () => {
    const a = new Channel();
    const t = spawn(() => select([{ receive: a }]));
    await nextMacrotask();
    a.close();
    expect(await t.result).toEqual({ index: 0, value: undefined, closed: true });
  });

  it('a killed select leaves no waiter behind', async () => {
    const [a, b] = [new Channel(), new Channel()];
    const t = spawn(() => select([{ receive: a }, { send: b, value: 1 }]));
    await nextMacrotask();
    t.kill();
    expect([a.balance, b.balance]).toEqual([0, 0]);
  });

  it('validates cases and refuses to block main', () => {
    expect(() => select([])).toThrow(/argument 'cases' must not be empty/);
    expect(() => select([{ nope: 1 } as never])).toThrow(/cases\[0\]/);
    expect(() => select([{ receive: new Channel() }])).toThrow(
      expect.objectContaining({ code: 'ERR_BLOCKING_IN_MAIN' }),
    );
  });
});

describe('many producers and consumers', () => {
  for (const capacity of [0, 1, 16]) {
    it(`8 producers and 8 consumers move 40,000 values exactly once (capacity ${capacity})`, async () => {
      const ch = new Channel<number>({ capacity });
      const N = 40_000;
      const producers = Array.from({ length: 8 }, (_, p) =>
        spawn(() => {
          for (let i = p; i < N; i += 8) {
            ch.send(i);
            if (i % 97 === 0) schedule();
            if (i % 1013 === 0) sleep(0);
          }
        }),
      );
      const seen = new Uint8Array(N);
      const consumers = Array.from({ length: 8 }, (_, c) =>
        spawn(() => {
          let n = 0;
          for (const v of ch) {
            seen[v]++;
            n++;
            if ((v + c) % 89 === 0) schedule();
          }
          return n;
        }),
      );
      await Promise.all(producers.map((p) => p.result));
      ch.close();
      const counts = await Promise.all(consumers.map((c) => c.result));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(N);
      expect(seen.every((x) => x === 1)).toBe(true);
      expect(ch.balance).toBe(0);
    });
  }
});


// --- trySend() / tryReceive() -------------------------------------------------

describe('Channel#trySend()', () => {
  it('in main: false without a receiver or room (nothing sent), true with room', () => {
    const ch = new Channel<number>();
    expect(ch.trySend(1)).toBe(false);
    expect(ch.balance).toBe(0);
    expect(ch.tryReceive()).toEqual({ ok: false });
    const buffered = new Channel<number>({ capacity: 2 });
    expect([buffered.trySend(1), buffered.trySend(2), buffered.trySend(3)]).toEqual([true, true, false]);
    expect(buffered.buffered).toBe(2);
    expect([buffered.tryReceive(), buffered.tryReceive(), buffered.tryReceive()]).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: 2 },
      { ok: false },
    ]);
  });

  it('hands the value to a waiting receiver (the receiver is queued when called from main)', async () => {
    const ch = new Channel<object>();
    const obj = {};
    const r = spawn(() => ch.receive());
    await nextMacrotask();
    expect(ch.balance).toBe(-1);
    expect(ch.trySend(obj)).toBe(true);
    expect(ch.balance).toBe(0);
    expect(r.blocked).toBe(false);
    expect(r.scheduled).toBe(true);
    expect(await r.result).toBe(obj);
  });

  it('in a tasklet: the woken receiver runs by preference, as after send()', async () => {
    for (const [pref, expected] of [
      [-1, ['received 1', 'trySend returned']],
      [0, ['trySend returned', 'received 1']],
      [1, ['trySend returned', 'received 1']],
    ] as const) {
      const ch = new Channel<number>();
      ch.preference = pref;
      const log: string[] = [];
      const r = spawn(() => log.push(`received ${ch.receive()}`));
      await nextMacrotask();
      const s = spawn(() => {
        expect(ch.trySend(1)).toBe(true);
        log.push('trySend returned');
      });
      await Promise.all([r.result, s.result]);
      expect(log, `preference ${pref}`).toEqual(expected);
    }
  });

  it('completes a waiting select() receive case and withdraws its other cases', async () => {
    const a = new Channel<string>();
    const b = new Channel<string>();
    const t = spawn(() => select([{ receive: a }, { receive: b }]));
    await nextMacrotask();
    expect([a.balance, b.balance]).toEqual([-1, -1]);
    expect(b.trySend('x')).toBe(true);
    expect([a.balance, b.balance]).toEqual([0, 0]);
    expect(await t.result).toEqual({ index: 1, value: 'x', closed: false });
    expect(a.trySend('y')).toBe(false);
  });

  it('resolves a pending receiveAsync()', async () => {
    const ch = new Channel<number>();
    const p = ch.receiveAsync();
    expect(ch.trySend(7)).toBe(true);
    expect(await p).toBe(7);
  });

  it('throws ChannelClosedError on a closing channel, in main and in tasklets, as send() does', async () => {
    const ch = new Channel<number>({ capacity: 1 });
    ch.close();
    expect(() => ch.trySend(1)).toThrow(ChannelClosedError);
    expect(() => ch.trySend(1)).toThrow('Channel#trySend(): the channel is closed');
    const t = spawn(() => ch.trySend(1));
    await expect(t.result).rejects.toThrow(ChannelClosedError);
  });
});

describe('Channel#tryReceive()', () => {
  it('takes a waiting sender\'s value; the sender is resumed (queued from main)', async () => {
    const ch = new Channel<number>();
    const log: string[] = [];
    const s = spawn(() => {
      ch.send(3);
      log.push('send returned');
    });
    await nextMacrotask();
    expect(ch.balance).toBe(1);
    expect(ch.tryReceive()).toEqual({ ok: true, value: 3 });
    expect(ch.balance).toBe(0);
    expect(log).toEqual([]);
    await s.result;
    expect(log).toEqual(['send returned']);
  });

  it('in a tasklet: with preference 1 the woken sender runs before tryReceive() returns', async () => {
    for (const [pref, expected] of [
      [1, ['send returned', 'got 3']],
      [-1, ['got 3', 'send returned']],
    ] as const) {
      const ch = new Channel<number>();
      ch.preference = pref;
      const log: string[] = [];
      const s = spawn(() => {
        ch.send(3);
        log.push('send returned');
      });
      await nextMacrotask();
      const r = spawn(() => {
        const got = ch.tryReceive();
        log.push(`got ${got.ok ? got.value : '-'}`);
      });
      await Promise.all([s.result, r.result]);
      expect(log, `preference ${pref}`).toEqual(expected);
    }
  });

  it('takes the value of a waiting select() send case', async () => {
    const a = new Channel<string>();
    const b = new Channel<string>();
    const t = spawn(() => select([{ send: a, value: 'A' }, { send: b, value: 'B' }]));
    await nextMacrotask();
    expect(a.tryReceive()).toEqual({ ok: true, value: 'A' });
    expect([a.balance, b.balance]).toEqual([0, 0]);
    expect(await t.result).toEqual({ index: 0, value: undefined, closed: false });
    expect(b.tryReceive()).toEqual({ ok: false });
  });

  it('throws what sendException() sent, like receive()', async () => {
    const ch = new Channel<number>();
    const err = new Error('boom');
    const s = spawn(() => ch.sendException(err));
    await nextMacrotask();
    expect(() => ch.tryReceive()).toThrow(err);
    await s.result;
    expect(ch.balance).toBe(0);
  });

  it('returns buffered values after close(), then throws ChannelClosedError once drained', () => {
    const ch = new Channel<number>({ capacity: 2 });
    ch.trySend(1);
    ch.close();
    expect(ch.tryReceive()).toEqual({ ok: true, value: 1 });
    expect(ch.closed).toBe(true);
    expect(() => ch.tryReceive()).toThrow(ChannelClosedError);
    expect(() => ch.tryReceive()).toThrow('Channel#tryReceive(): the channel is closed');
  });

  it('never blocks in a tasklet: { ok: false } and the tasklet goes on', async () => {
    const ch = new Channel<number>();
    const t = spawn(() => ch.tryReceive());
    expect(await t.result).toEqual({ ok: false });
    expect(ch.balance).toBe(0);
  });
});

describe('Channel try forms mixed with send/receive and kills (seeded)', () => {
  it('every value whose send completed is received exactly once; withdrawn sends are never received', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rnd = seeded(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const ch = new Channel<number>({ capacity: pick([0, 0, 1, 3]) });
      ch.preference = pick([-1, 0, 1] as const);
      const sent = new Set<number>();
      const received: number[] = [];
      const workers: Tasklet[] = [];
      const receivers: Tasklet[] = [];
      let next = 0;
      const sender = (v: number): void => {
        try {
          ch.send(v);
          sent.add(v);
        } catch (error) {
          if (!(error instanceof TaskletExit)) throw error;
        }
      };
      const receiver = (): void => {
        for (;;) received.push(ch.receive());
      };
      const driver = spawn(() => {
        for (let step = 0; step < 300; step++) {
          const r = rnd();
          if (r < 0.15) workers.push(spawn(sender, next++));
          else if (r < 0.25) {
            const t = spawn(receiver);
            workers.push(t);
            receivers.push(t);
          }
          else if (r < 0.4) {
            const v = next++;
            if (ch.trySend(v)) sent.add(v);
          } else if (r < 0.55) {
            const got = ch.tryReceive();
            if (got.ok) received.push(got.value);
          } else if (r < 0.7) {
            // A blocked tasklet (its wait is withdrawn with its value), or a
            // receiver woken with a value it has not taken yet (the value goes
            // back). Not a woken sender: its send() would throw although its
            // value went through, which this bookkeeping cannot tell.
            const victims = workers.filter((w) => w.blocked).concat(receivers.filter((w) => w.alive && !w.blocked));
            if (victims.length > 0) pick(victims).kill(rnd() < 0.5 ? { pending: true } : undefined);
          } else schedule();
        }
        // Let everything settle (each worker blocked or ended), then end the blocked ones.
        while (workers.some((w) => w.alive && !w.blocked)) schedule();
        for (const w of workers) w.kill();
      });
      await driver.result;
      for (let got = ch.tryReceive(); got.ok; got = ch.tryReceive()) received.push(got.value);
      expect(ch.balance, `seed ${seed}`).toBe(0);
      expect(new Set(received).size, `seed ${seed}: a value received twice`).toBe(received.length);
      expect([...received].sort((a, b) => a - b), `seed ${seed}`).toEqual([...sent].sort((a, b) => a - b));
    }
  });
});

describe('a value handed to a receiver that is killed or thrown into before it runs', () => {
  /** A tasklet blocked in ch.receive() that logs what it gets; `log` also sees its end. */
  function receiver<T>(ch: Channel<T>, log: unknown[], name: string): Tasklet {
    return spawn(() => {
      try {
        log.push([name, ch.receive()]);
      } catch (error) {
        log.push([name, error instanceof TaskletExit ? 'exit' : error]);
        throw error;
      }
    });
  }

  /** Takes everything left in `ch` without waiting. */
  function drain<T>(ch: Channel<T>): T[] {
    const got: T[] = [];
    for (let r = ch.tryReceive(); r.ok; r = ch.tryReceive()) got.push(r.value);
    return got;
  }

  /** Blocks until `t` waits (helper for tasklets that spawn tasklets). */
  function untilBlocked(t: Tasklet): void {
    while (!t.blocked) schedule();
  }

  for (const preference of [0, 1] as const) {
    it(`rendezvous, preference ${preference}: a kill from the sender puts it back; the next receiver gets it once`, async () => {
      const ch = new Channel<string>();
      ch.preference = preference;
      const log: unknown[] = [];
      const victim = receiver(ch, log, 'victim');
      const driver = spawn(() => {
        untilBlocked(victim);
        ch.send('v1'); // the victim is woken, not run
        expect(victim.blocked).toBe(false);
        expect(victim.scheduled).toBe(true);
        victim.kill();
        expect(ch.balance).toBe(1); // as if a sender waited with it
        expect(ch.buffered).toBe(0);
        return ch.receive();
      });
      expect(await driver.result).toBe('v1');
      await expect(victim.result).resolves.toBeUndefined();
      expect(log).toEqual([['victim', 'exit']]);
      expect(ch.balance).toBe(0);
      expect(drain(ch)).toEqual([]);
    });
  }

  it('rendezvous, preference -1: sendAsync() from main queues the receiver; a kill puts the value back', async () => {
    const ch = new Channel<string>();
    const log: unknown[] = [];
    const victim = receiver(ch, log, 'victim');
    await nextMacrotask();
    expect(ch.balance).toBe(-1);
    const sent = ch.sendAsync('v1'); // not awaited: the pump would run the victim first
    expect(victim.scheduled).toBe(true);
    victim.kill();
    expect(ch.balance).toBe(1);
    await sent;
    const next = receiver(ch, log, 'next');
    await next.result;
    expect(log).toEqual([['victim', 'exit'], ['next', 'v1']]);
    expect(ch.balance).toBe(0);
    expect(drain(ch)).toEqual([]);
  });

  it('trySend() from main, then kill({ pending: true }): the value is back at once, before the victim runs', async () => {
    const ch = new Channel<string>();
    const log: unknown[] = [];
    const victim = receiver(ch, log, 'victim');
    await nextMacrotask();
    expect(ch.trySend('v1')).toBe(true);
    victim.kill({ pending: true });
    expect(ch.balance).toBe(1);
    expect(ch.tryReceive()).toEqual({ ok: true, value: 'v1' });
    await victim.result;
    expect(log).toEqual([['victim', 'exit']]);
    expect(ch.balance).toBe(0);
  });

  it('order: with senders waiting behind it, the given-back value is received first', async () => {
    const ch = new Channel<string>();
    ch.preference = 0;
    const log: unknown[] = [];
    const victim = receiver(ch, log, 'victim');
    const driver = spawn(() => {
      untilBlocked(victim);
      ch.send('v1'); // victim woken, queued
      victim.remove(); // keep it from running while others go on
      const s2 = spawn(() => ch.send('v2'));
      untilBlocked(s2);
      expect(ch.balance).toBe(1);
      victim.kill();
      expect(ch.balance).toBe(2);
      return [ch.receive(), ch.receive()];
    });
    expect(await driver.result).toEqual(['v1', 'v2']);
    expect(ch.balance).toBe(0);
  });

  it('a receiver waiting when the value comes back gets it directly', async () => {
    const ch = new Channel<string>();
    ch.preference = 0;
    const log: unknown[] = [];
    const victim = receiver(ch, log, 'victim');
    await nextMacrotask();
    expect(ch.trySend('v1')).toBe(true);
    victim.remove();
    const next = receiver(ch, log, 'next');
    await nextMacrotask();
    expect(ch.balance).toBe(-1);
    victim.kill();
    expect(ch.balance).toBe(0);
    await next.result;
    expect(log).toEqual([['victim', 'exit'], ['next', 'v1']]);
    expect(drain(ch)).toEqual([]);
  });

  it('buffered: it goes in front of the buffer; the newest buffered value waits as a sender', async () => {
    const ch = new Channel<string>({ capacity: 2 });
    ch.preference = 0;
    const log: unknown[] = [];
    const victim = receiver(ch, log, 'victim');
    const driver = spawn(() => {
      untilBlocked(victim);
      ch.send('v1'); // handed to the waiting victim, not buffered
      ch.send('v2');
      ch.send('v3');
      expect([ch.buffered, ch.balance]).toEqual([2, 0]);
      victim.kill();
      expect([ch.buffered, ch.balance]).toEqual([2, 1]);
      return [ch.receive(), ch.receive(), ch.receive()];
    });
    expect(await driver.result).toEqual(['v1', 'v2', 'v3']);
    expect([ch.buffered, ch.balance]).toEqual([0, 0]);
    expect(log).toEqual([['victim', 'exit']]);
  });

  it('throw(): the receive throws the error, and a later receive gets the value', async () => {
    const ch = new Channel<string>();
    const log: unknown[] = [];
    const err = new Error('interrupted');
    const victim = spawn(() => {
      try {
        ch.receive();
      } catch (error) {
        log.push(error);
      }
      return ch.receive();
    });
    await nextMacrotask();
    const sent = ch.sendAsync('v1');
    victim.throw(err, { pending: true });
    expect(ch.balance).toBe(1);
    await sent;
    expect(await victim.result).toBe('v1');
    expect(log).toEqual([err]);
    expect(ch.balance).toBe(0);
  });

  it('select(): a receive case that completed goes back to its channel; the other cases are withdrawn', async () => {
    const ch = new Channel<string>();
    const other = new Channel<string>();
    const victim = spawn(() => select([{ receive: other }, { receive: ch }]));
    await nextMacrotask();
    expect([ch.balance, other.balance]).toEqual([-1, -1]);
    expect(ch.trySend('v1')).toBe(true);
    expect([ch.balance, other.balance]).toEqual([0, 0]);
    victim.kill();
    expect([ch.balance, other.balance]).toEqual([1, 0]);
    await victim.result;
    expect(await ch.receiveAsync()).toBe('v1');
    expect(ch.balance).toBe(0);
  });

  it('select() with the value taken at once (preference 1): a kill from the resumed sender puts it back', async () => {
    const ch = new Channel<string>();
    ch.preference = 1;
    let victim!: Tasklet;
    const sender = spawn(() => {
      ch.send('v1'); // taken by the victim's select; runs on at once (preference 1)
      victim.kill(); // the victim's select() has not returned yet
      return ch.receive();
    });
    await nextMacrotask();
    expect(ch.balance).toBe(1);
    victim = spawn(() => select([{ receive: ch }]));
    await victim.result;
    expect(await sender.result).toBe('v1');
    expect(ch.balance).toBe(0);
  });

  it('receive() with the value taken at once (preference 1): a throw from the resumed sender puts it back', async () => {
    const ch = new Channel<string>();
    ch.preference = 1;
    const err = new Error('stop');
    let victim!: Tasklet;
    const sender = spawn(() => {
      ch.send('v1');
      victim.throw(err);
    });
    await nextMacrotask();
    victim = spawn(() => ch.receive());
    await expect(victim.result).rejects.toBe(err);
    await sender.result;
    expect(ch.balance).toBe(1);
    expect(ch.tryReceive()).toEqual({ ok: true, value: 'v1' });
    expect(ch.balance).toBe(0);
  });

  it('sendException(): the exception goes back too; the next receive() throws it', async () => {
    const ch = new Channel<string>();
    ch.preference = 0;
    const log: unknown[] = [];
    const boom = new Error('boom');
    const victim = receiver(ch, log, 'victim');
    const driver = spawn(() => {
      untilBlocked(victim);
      ch.sendException(boom);
      victim.kill();
      expect(ch.balance).toBe(1);
      try {
        ch.receive();
      } catch (error) {
        return error;
      }
      return 'nothing thrown';
    });
    expect(await driver.result).toBe(boom);
    expect(log).toEqual([['victim', 'exit']]);
    expect(ch.balance).toBe(0);
  });

  it('a channel closed meanwhile delivers the value before it counts as closed', async () => {
    const ch = new Channel<string>();
    const log: unknown[] = [];
    const victim = receiver(ch, log, 'victim');
    await nextMacrotask();
    expect(ch.trySend('v1')).toBe(true);
    ch.close();
    expect(ch.closed).toBe(true); // nothing left in it: the value is with the victim
    victim.kill();
    expect([ch.closing, ch.closed, ch.balance]).toEqual([true, false, 1]);
    expect(ch.tryReceive()).toEqual({ ok: true, value: 'v1' });
    expect(ch.closed).toBe(true);
    expect(() => ch.tryReceive()).toThrow(ChannelClosedError);
  });

  it('ThreadChannel: a value delivered to a woken receiver that is killed goes back', async () => {
    const tc = new ThreadChannel<string>();
    const log: unknown[] = [];
    let victim!: Tasklet;
    const first = spawn(() => {
      log.push(['first', tc.receive()]);
      victim.kill(); // woken in the same batch, after this one: it has not run yet
    });
    victim = spawn(() => {
      try {
        log.push(['victim', tc.receive()]);
      } catch {
        log.push(['victim', 'exit']);
      }
    });
    await nextMacrotask();
    expect(tc.balance).toBe(-2);
    expect(tc.trySend('a')).toBe(true);
    expect(tc.trySend('b')).toBe(true);
    await first.result;
    await victim.result;
    expect(log).toEqual([['first', 'a'], ['victim', 'exit']]);
    expect(tc.tryReceive()).toEqual({ ok: true, value: 'b' });
    expect(tc.balance).toBe(0);
  });
});
