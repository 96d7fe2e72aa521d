// Limits: many tasklets waiting at once within the default memory-map and
// pid limits (fiber engine: 100,000), and stack overflow at every stack size.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stats } from '../dist/cjs/index.js';
import { runChild } from './helpers';

const engine = stats().engine;
// AddressSanitizer's shadow memory and quarantine make resident memory meaningless.
const underAsan = process.env.TASKLET_SANITIZER === '1';
if (underAsan) console.log('SKIPPED: the resident-memory bound of the 100,000 test (under ASan)');
const maxMaps = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
if (engine !== 'fiber') console.log('SKIPPED: 100,000 waiting tasklets (the strand engine needs an OS thread for each)');

describe('100,000 tasklets waiting at once', () => {
  it.skipIf(engine !== 'fiber')(
    `start, wait within vm.max_map_count (${maxMaps}) and all end when released`,
    () => {
      const r = runChild(
        `
        const fs = require('node:fs');
        const N = 100_000;
        let started = 0, ended = 0, open;
        const gate = new Promise((r) => (open = r));
        const rss0 = process.memoryUsage().rss;
        for (let i = 0; i < N; i++) T.spawn(() => { started++; T.blockOn(gate); ended++; });
        const iv = setInterval(() => {
          if (started < N) return;
          clearInterval(iv);
          const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length - 1;
          const kb = (process.memoryUsage().rss - rss0) / N / 1024;
          console.log(JSON.stringify({ maps, kb, live: T.stats().liveTasklets }));
          open();
          setTimeout(function check() {
            if (ended < N) return setTimeout(check, 50);
            console.log(JSON.stringify({ ended, live: T.stats().liveTasklets }));
          }, 50);
        }, 50);
      `,
        { timeoutMs: 240_000 },
      );
      expect(r.timedOut, r.stderr).toBe(false);
      expect(r.signal, r.stderr).toBe(null);
      expect(r.status, r.stderr).toBe(0);
      const [waiting, done] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(waiting.live).toBe(100_000);
      expect(waiting.maps).toBeLessThan(maxMaps);
      // Resident memory per waiting tasklet (stack pages, V8's per-thread state).
      if (!underAsan) expect(waiting.kb).toBeLessThan(16);
      expect(done).toEqual({ ended: 100_000, live: 0 });
    },
    300_000,
  );
});

describe('stack overflow', () => {
  it.each([256 * 1024, 1024 * 1024, 8 * 1024 * 1024])(
    'is a RangeError with %i-byte stacks, in the first and in a reused stack (child process)',
    (size) => {
      const r = runChild(`
        T.configure({ stackSize: ${size} });
        const depth = (n) => { try { return depth(n + 1); } catch (e) { return [e.constructor.name, n]; } };
        (async () => {
          for (let i = 0; i < 3; i++) {
            const [name, n] = await T.spawn(() => depth(0)).result;
            console.log(name, n > 1000);
          }
        })();
      `);
      expect(r.timedOut).toBe(false);
      expect(r.signal, r.stderr).toBe(null);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('RangeError true\n'.repeat(3));
    },
  );
});
