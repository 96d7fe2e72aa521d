// Public functions and constructors (core, threads, tasklet/http) with bad
// input: Node's own argument errors (code, class) with the argument named in
// the message. Each area's own test file covers the rest of its options.
import { describe, expect, it } from 'vitest';
import * as T from '../dist/cjs/index.js';
import * as H from '../dist/cjs/http.js';

type Code = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';
/** [what is called, the call, the code expected, the argument the message must name] */
type Row = [string, () => unknown, Code, string];

const fn = (): void => {};
const ch = (): T.Channel => new T.Channel();

const rows: Row[] = [
  ['spawn(42)', () => T.spawn(42 as never), 'ERR_INVALID_ARG_TYPE', '"fn"'],
  ['spawn(undefined)', () => T.spawn(undefined as never), 'ERR_INVALID_ARG_TYPE', '"fn"'],
  ['spawn(async fn)', () => T.spawn(async () => {}), 'ERR_INVALID_ARG_VALUE', '"fn"'],
  ['tasklet("x")', () => T.tasklet('x' as never), 'ERR_INVALID_ARG_TYPE', '"fn"'],
  ['new Tasklet(1)', () => new T.Tasklet(1 as never), 'ERR_INVALID_ARG_TYPE', '"fn"'],
  ['bind(null)', () => new T.Tasklet().bind(null as never), 'ERR_INVALID_ARG_TYPE', '"fn"'],
  ['bind(f, 5)', () => new T.Tasklet().bind(fn, 5 as never), 'ERR_INVALID_ARG_TYPE', '"args"'],
  ['throw()', () => (T.getmain().throw as () => void)(), 'ERR_INVALID_ARG_TYPE', '"error"'],
  ['sleep("1")', () => T.sleep('1' as never), 'ERR_INVALID_ARG_TYPE', '"ms"'],
  ['sleep(-1)', () => T.sleep(-1), 'ERR_OUT_OF_RANGE', '"ms"'],
  ['sleep(NaN)', () => T.sleep(NaN), 'ERR_OUT_OF_RANGE', '"ms"'],
  ['deferredTasklet({})', () => T.deferredTasklet({} as never), 'ERR_INVALID_ARG_TYPE', '"fn"'],
  ['blockingTasklet(async fn)', () => T.blockingTasklet(async () => 1), 'ERR_INVALID_ARG_VALUE', '"fn"'],
  ['new Channel(5)', () => new T.Channel(5 as never), 'ERR_INVALID_ARG_TYPE', '"options"'],
  ['new Channel(null)', () => new T.Channel(null as never), 'ERR_INVALID_ARG_TYPE', '"options"'],
  ['new Channel({ capacity: 1.5 })', () => new T.Channel({ capacity: 1.5 }), 'ERR_OUT_OF_RANGE', '"options.capacity"'],
  ['new Channel({ capacity: -1 })', () => new T.Channel({ capacity: -1 }), 'ERR_OUT_OF_RANGE', '"options.capacity"'],
  ['new Channel({ capacity: "2" })', () => new T.Channel({ capacity: '2' as never }), 'ERR_INVALID_ARG_TYPE', '"options.capacity"'],
  ['new Channel({ capasity: 2 })', () => new T.Channel({ capasity: 2 } as never), 'ERR_INVALID_ARG_VALUE', "'options.capasity'"],
  ['preference = 5', () => (ch().preference = 5 as never), 'ERR_OUT_OF_RANGE', '"preference"'],
  ['preference = "1"', () => (ch().preference = '1' as never), 'ERR_INVALID_ARG_TYPE', '"preference"'],
  ['select(42)', () => T.select(42 as never), 'ERR_INVALID_ARG_TYPE', '"cases"'],
  ['select([])', () => T.select([]), 'ERR_INVALID_ARG_VALUE', "'cases'"],
  ['select([{ nope: 1 }])', () => T.select([{ nope: 1 } as never]), 'ERR_INVALID_ARG_VALUE', "'cases[0]'"],
  ['select(two defaults)', () => T.select([{ default: true }, { default: true }]), 'ERR_INVALID_ARG_VALUE', "'cases'"],
  ['configure("x")', () => T.configure('x' as never), 'ERR_INVALID_ARG_TYPE', '"options"'],
  ['configure({ bogus: 1 })', () => T.configure({ bogus: 1 } as never), 'ERR_INVALID_ARG_VALUE', "'options.bogus'"],
  ['configure({ stackSize: 1 })', () => T.configure({ stackSize: 1 }), 'ERR_OUT_OF_RANGE', '"options.stackSize"'],
  ['configure({ timeSlice: "1" })', () => T.configure({ timeSlice: '1' as never }), 'ERR_INVALID_ARG_TYPE', '"options.timeSlice"'],
  ['new ThreadPool({ minThreads: 3, maxThreads: 2 })', () => new T.ThreadPool({ minThreads: 3, maxThreads: 2 }), 'ERR_OUT_OF_RANGE', '"options.minThreads"'],
  ['new ThreadPool({ max: 2 })', () => new T.ThreadPool({ max: 2 } as never), 'ERR_INVALID_ARG_VALUE', "'options.max'"],
  ['suggestThreadPoolSize(0)', () => T.suggestThreadPoolSize(0), 'ERR_OUT_OF_RANGE', '"n"'],
  ['callInThread(42)', () => T.callInThread(42 as never), 'ERR_INVALID_ARG_TYPE', '"task"'],
  ['exposeToThreads(42)', () => T.exposeToThreads(42 as never), 'ERR_INVALID_ARG_TYPE', '"fns"'],
  ['callFromThread(42)', () => T.callFromThread(42 as never), 'ERR_INVALID_ARG_TYPE', '"name"'],
  ['new ThreadChannel(5)', () => new T.ThreadChannel(5 as never), 'ERR_INVALID_ARG_TYPE', '"options"'],
  ['ThreadChannel.from(42)', () => T.ThreadChannel.from(42 as never), 'ERR_INVALID_ARG_TYPE', '"value"'],
  ['serve(42)', () => H.serve(42 as never), 'ERR_INVALID_ARG_TYPE', '"handler"'],
  ['serve(f, 5)', () => H.serve(fn, 5 as never), 'ERR_INVALID_ARG_TYPE', '"options"'],
  ['new Endpoint(5)', () => new H.Endpoint(5 as never), 'ERR_INVALID_ARG_TYPE', '"options"'],
  ['new Endpoint({ queuesize: 1 })', () => new H.Endpoint({ queuesize: 1 } as never), 'ERR_INVALID_ARG_VALUE', "'options.queuesize'"],
  ['readBody(42)', () => H.readBody(42 as never), 'ERR_INVALID_ARG_TYPE', '"req"'],
];

describe('bad arguments', () => {
  it.each(rows)('%s: Node-style error naming the argument', (_, call, code, name) => {
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(name);
    expect((error as Error).stack).toMatch(new RegExp(`^(Type|Range)Error \\[${code}\\]: `));
  });
});
