// Full GCs in worker threads that load tasklet: after a carrier ran, the
// heap's stack start (where Node 20's CppHeap stops scanning the stack) must
// be the stack of whoever holds the isolate, or the scan runs off its stack.
import { describe, expect, it } from 'vitest';
import { DIST, runChild } from './helpers';

/**
 * Each round frees a 4 MiB buffer after starting workers A and B, leaving a
 * hole above both of their thread stacks: the stacks that B's engine maps
 * next (its self-test fiber, its tasklets' carriers) land there, so a stale
 * stack start lies above B's stack with A's guard page in between. B then
 * loads the library, optionally runs tasklets that switch back and forth,
 * and collects garbage in main and in a tasklet. Before the fix, B died of
 * SIGSEGV in heap::base::IteratePointersInStack (the crash seen as "Worker
 * exited unexpectedly" under TASKLET_GC_STRESS=1).
 */
function rounds(withTasklets: boolean, n: number) {
  return runChild(
    `
    const { Worker } = require('node:worker_threads');
    const src = \`
      const { parentPort } = require('node:worker_threads');
      parentPort.once('message', async (load) => {
        if (load) {
          const T = require(${JSON.stringify(DIST)});
          gc();
          if (${withTasklets}) {
            const t = T.spawn(() => { for (let i = 0; i < 3; i++) T.schedule(); gc(); return 'ran'; });
            if ((await t.result) !== 'ran') throw new Error('tasklet result');
            gc();
          }
        }
        parentPort.postMessage('done');
      });
    \`;
    async function round() {
      let hole = new ArrayBuffer(4 << 20);
      const a = new Worker(src, { eval: true });
      const b = new Worker(src, { eval: true });
      await Promise.all([a, b].map((w) => new Promise((r) => w.once('online', r))));
      hole = null;
      gc();
      const exits = [a, b].map((w) => new Promise((r) => w.once('exit', r)));
      b.postMessage(true);
      a.postMessage(false);
      return Promise.all(exits);
    }
    (async () => {
      for (let i = 0; i < ${n}; i++) {
        const codes = await round();
        if (codes.some((c) => c !== 0)) throw new Error('a worker exited with ' + codes);
      }
      console.log('rounds done');
    })();
    `,
    { flags: ['--expose-gc'], timeoutMs: 60_000 },
  );
}

describe('full GCs in workers that load tasklet', () => {
  it('survive the engine load-time self-test (a fiber ran on the worker, then main collects)', () => {
    const r = rounds(false, 5);
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe(null);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('rounds done');
    expect(r.status).toBe(0);
  });

  it('survive tasklets switching to and from main on the worker', () => {
    const r = rounds(true, 5);
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe(null);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('rounds done');
    expect(r.status).toBe(0);
  });
});
