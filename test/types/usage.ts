// Compiled by test/types.test.ts with tsc --strict under several module
// resolutions, as a user's project would; every @ts-expect-error must hold.
import {
  BoundedSemaphore,
  Channel,
  Event,
  Lock,
  Pool,
  Semaphore,
  Tasklet,
  ThreadPool,
  Timeout,
  TimeoutError,
  deferToThread,
  joinAll,
  killAll,
  killAllAsync,
  select,
  spawn,
  tasklet,
  withTimeout,
} from 'tasklet';
import { ThreadChannel, setChannelCallback, setScheduleCallback } from 'tasklet';
import type { ChannelCallback, RaiseOptions, ScheduleCallback, TryReceiveResult } from 'tasklet';
import { Endpoint, readBody, serve } from 'tasklet/http';

// tasklet/http resolves (typesVersions under node10) and is typed.
export const server: ReturnType<typeof serve> = serve((req, res) => {
  const body: Buffer = readBody(req);
  res.end(body);
});
export const endpoint: Endpoint = new Endpoint();

// select(): each case keeps its channel's type; the index narrows the result.
const nums = new Channel<number>();
const strs = new Channel<string>();
export function pick(): string {
  const r = select([{ receive: nums }, { receive: strs }, { default: true }]);
  if (r.index === 0) {
    if (r.closed) return 'nums closed';
    const n: number = r.value;
    return n.toFixed(1);
  }
  if (r.index === 1) {
    if (!r.closed) {
      const s: string = r.value;
      // @ts-expect-error a string channel's value is not a number
      const wrong: number = r.value;
      return s + String(wrong);
    }
    // @ts-expect-error a closed case has no value
    const none: string = r.value;
    return none;
  }
  // @ts-expect-error only three cases
  if (r.index === 3) return 'no such case';
  return 'default';
}
export function sendOrReceive(): void {
  const r = select([{ send: nums, value: 1 }, { receive: strs }]);
  if (r.index === 0) {
    const v: undefined = r.value;
    void v;
  }
}

// Tasklets are typed by their function's arguments and result.
const t = new Tasklet((a: number) => a * 2);
t.setup(21);
// @ts-expect-error setup() takes the function's arguments
t.setup('21');
export const doubled: Promise<number> = t.result;
spawn((a: number, b: string) => a + b, 1, 'x');
// @ts-expect-error spawn() checks the arguments against the function
spawn((a: number) => a, 'x');
export const joined: Promise<string> = tasklet((a: string, b: string) => a + b)('x', 'y').result;

// Thread tasks given as functions are typed by their parameters and result;
// module tasks take any arguments and give the type asked for.
export const sum: Promise<number> = deferToThread((a: number, b: number) => a + b, 1, 2);
// @ts-expect-error the function takes a number
deferToThread((a: number) => a, 'x');
// @ts-expect-error the result is a number, not a string
export const notString: Promise<string> = deferToThread((a: number) => a * 2, 1);
export const fromModule: Promise<string[]> = deferToThread<string[]>({ module: './jobs.js', export: 'list' }, 'any', 1);
export const onPool: Promise<string> = new ThreadPool().run((s: string) => s.toUpperCase(), 'x');

// Timeouts, joins and synchronisation.
export const within: number = withTimeout(10, (a: number, b: string) => a + b.length, 1, 'x');
// @ts-expect-error withTimeout() checks the arguments against the function
withTimeout(10, (a: number) => a, 'x');
export const byHand: Timeout = new Timeout(5).start();
export const firedFlags: [boolean, boolean, number] = [byHand.pending, byHand.fired, byHand.ms];
export function whose(err: unknown): boolean {
  return err instanceof TimeoutError && err.code === 'ERR_TIMEOUT' && err.timeout === byHand;
}
export const ended: boolean = t.join(5) && joinAll([t], 10);
export const endedLater: Promise<boolean> = t.joinAsync();
killAll([t]);
export const killed: Promise<void> = killAllAsync(new Set([t]));
const ev = new Event();
export const evState: [boolean, boolean] = [ev.isSet, ev.wait(1)];
export const evLater: Promise<boolean> = ev.waitAsync();
const sem: Semaphore = new BoundedSemaphore(2);
export const got: boolean = sem.acquire(5) || sem.tryAcquire();
export const gotLater: Promise<boolean> = sem.acquireAsync();
export const fromUse: string = new Lock().use(() => 'x');
// @ts-expect-error a Lock has no count
new Lock(2);
const pool = new Pool(4);
export const pooled: Tasklet<number, [number]> = pool.spawn((n: number) => n + 1, 1);
export const lengths: number[] = pool.map((s: string) => s.length, ['a']);
export const lengthsLater: Promise<number[]> = pool.mapAsync((s: string) => s.length, new Set(['a']));
// @ts-expect-error map() items are typed by the function
pool.map((s: string) => s.length, [1]);
export const poolState: [number, number, number, boolean] = [pool.size, pool.running, pool.waiting, pool.join(1)];
// trySend()/tryReceive(): the result is a union that `ok` narrows.
export function tryBoth(): number {
  const sent: boolean = nums.trySend(1);
  // @ts-expect-error a number channel takes numbers
  nums.trySend('1');
  const r = nums.tryReceive();
  if (r.ok) {
    const n: number = r.value;
    return n + Number(sent);
  }
  // @ts-expect-error no value without ok
  return r.value;
}
export const fromThreads: TryReceiveResult<string> = new ThreadChannel<string>().tryReceive();

// switch(), kill/throw options, tracing callbacks.
export function stackless(t: Tasklet): void {
  t.switch();
  t.kill({ pending: true });
  t.throw(new Error('x'), { pending: false });
  // @ts-expect-error pending is a boolean
  t.kill({ pending: 1 });
  const options: RaiseOptions = { pending: true };
  t.kill(options);
  const previous: ScheduleCallback | null = setScheduleCallback((prev: Tasklet, next: Tasklet) => {
    void prev.id;
    void next.name;
  });
  setScheduleCallback(previous);
  const cb: ChannelCallback = (channel, tasklet, isSending: boolean, willBlock: boolean) => {
    void channel.balance;
    void tasklet.id;
    void isSending;
    void willBlock;
  };
  setChannelCallback(cb);
  setChannelCallback(null);
  // @ts-expect-error a function or null
  setScheduleCallback(undefined);
}
