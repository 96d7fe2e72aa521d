// Suspending inside async scopes a tasklet opened (runInAsyncScope, bind,
// EventEmitterAsyncResource): the right ids after resuming, nothing left on
// Node's async-id stack for others, no fatal "corrupted" abort. Each case runs
// in a child process (a corrupted stack aborts the process) with a time limit.
import { describe, expect, it } from 'vitest';
import { runChild } from './helpers';

const PRELUDE = `
const { AsyncResource, AsyncLocalStorage, createHook, executionAsyncId: eid, triggerAsyncId: tid,
  executionAsyncResource } = require('node:async_hooks');
const out = (v) => process.stdout.write(JSON.stringify(v) + '\\n');
const later = (ms) => T.blockOn(new Promise((r) => setTimeout(r, ms)));
`;

// Under TASKLET_GC_STRESS=1 the children run under GC stress too (saved entries hold resources across switches).
const STRESS = process.env.TASKLET_GC_STRESS === '1' ? ['--stress-compaction', '--gc-interval=2000'] : [];

function run(code: string, flags: string[] = []): { lines: unknown[]; stderr: string; status: number | null } {
  const r = runChild(PRELUDE + code, { timeoutMs: 30_000, flags: [...STRESS, ...flags] });
  expect(r.timedOut).toBe(false);
  const lines = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
  return { lines, stderr: r.stderr, status: r.status };
}

describe('suspending inside an async scope', () => {
  it('resumes with the scope’s ids and resource while main and other tasklets keep theirs', () => {
    const r = run(`
      const a = new AsyncResource('A'), b = new AsyncResource('B');
      const seen = [];
      const ta = T.spawn(() => a.runInAsyncScope(() => {
        later(5);                                  // resumed from a timer callback
        seen.push(['a', eid() === a.asyncId(), tid() === a.triggerAsyncId(), executionAsyncResource() === a]);
        T.schedule();                              // switched away from, directly to b
        seen.push(['a', eid() === a.asyncId(), executionAsyncResource() === a]);
        return 'a';
      }));
      const tb = T.spawn(() => {
        const v = b.runInAsyncScope(() => {
          T.schedule();
          later(1);
          seen.push(['b', eid() === b.asyncId(), tid() === b.triggerAsyncId()]);
          T.schedule();
          return eid() === b.asyncId();
        });
        seen.push(['b out', eid() !== b.asyncId()]);
        return v;
      });
      setTimeout(() => { const t = setTimeout(() => {}, 0); seen.push(['main timer', eid() !== a.asyncId() && eid() !== b.asyncId()]); clearTimeout(t); }, 2);
      Promise.all([ta.result, tb.result]).then((v) => { out(v); out(seen); out(eid()); });
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.lines[0]).toEqual(['a', true]);
    const seen = r.lines[1] as unknown[][];
    for (const entry of seen) expect(entry.slice(1).every((x) => x === true)).toBe(true);
    expect(seen.map((e) => e[0]).sort()).toEqual(['a', 'a', 'b', 'b out', 'main timer']);
  });

  it('works in nested scopes, AsyncResource.bind and EventEmitterAsyncResource listeners', () => {
    const r = run(`
      const { EventEmitterAsyncResource } = require('node:events');
      const outer = new AsyncResource('outer'), inner = new AsyncResource('inner');
      const ee = new EventEmitterAsyncResource({ name: 'ee' });
      const seen = [];
      ee.on('go', () => { later(1); seen.push(['ee', eid() === ee.asyncId]); });
      const br = new AsyncResource('bound');
      const bound = br.bind(() => { later(1); return eid(); });
      const boundId = br.asyncId();
      const t = T.spawn(() => {
        outer.runInAsyncScope(() => {
          inner.runInAsyncScope(() => {
            later(2);
            seen.push(['inner', eid() === inner.asyncId()]);
          });
          seen.push(['outer', eid() === outer.asyncId()]);
          later(1);
          seen.push(['outer again', eid() === outer.asyncId()]);
          ee.emit('go');
        });
        seen.push(['bound', bound() === boundId]);
      });
      t.result.then(() => { out(seen); });
    `);
    expect(r.stderr).toBe('');
    expect(r.lines[0]).toEqual([
      ['inner', true],
      ['outer', true],
      ['outer again', true],
      ['ee', true],
      ['bound', true],
    ]);
  });

  it('lets an exception thrown after resuming leave the scope normally', () => {
    const r = run(`
      const res = new AsyncResource('x');
      const t = T.spawn(() => {
        try {
          res.runInAsyncScope(() => { later(2); throw new Error('boom'); });
        } catch (e) {
          const outside = eid() !== res.asyncId();
          later(1);
          return [e.message, outside && eid() !== res.asyncId()];
        }
      });
      t.result.then(out);
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([['boom', true]]);
  });

  it('unwinds a tasklet killed while suspended inside a scope, and one the exit pass kills', () => {
    const r = run(`
      const res = new AsyncResource('x');
      const k = T.spawn(() => {
        try { res.runInAsyncScope(() => T.blockOn(new Promise(() => {}))); }
        finally { out(['killed finally', eid() !== res.asyncId()]); }
      });
      const e = T.spawn(() => {
        try { new AsyncResource('y').runInAsyncScope(() => T.blockOn(new Promise(() => {}))); }
        finally { out(['exit finally']); }
      });
      setTimeout(() => { k.kill(); out(['after kill', k.alive]); }, 5);
      process.on('exit', (c) => out(['exit', c]));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.lines).toEqual([['killed finally', true], ['after kill', false], ['exit finally'], ['exit', 0]]);
  });

  it('gives createHook() before/after in matching pairs, one pair per stretch the tasklet runs in the scope', () => {
    const r = run(`
      const stack = [];
      let mismatches = 0;
      const counts = {};
      createHook({
        before(id) { stack.push(id); counts[id] = (counts[id] ?? 0) + 1; },
        after(id) { if (stack.pop() !== id) mismatches++; },
      }).enable();
      const res = new AsyncResource('x');
      const t = T.spawn(() => res.runInAsyncScope(() => { later(1); T.schedule(); later(1); return 1; }));
      const u = T.spawn(() => { for (let i = 0; i < 5; i++) T.schedule(); });
      Promise.all([t.result, u.result]).then(() => setImmediate(() => out([mismatches, counts[res.asyncId()] >= 2])));
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([[0, true]]);
  });

  it('composes with AsyncLocalStorage: run() inside the scope, the scope’s own store, the outer store after', () => {
    const r = run(`
      const als = new AsyncLocalStorage();
      const res = als.run('at creation', () => new AsyncResource('x'));
      const t = als.run('outer', () => T.spawn(() => {
        const seen = [als.getStore()];
        res.runInAsyncScope(() => {
          seen.push(als.getStore());
          later(1);
          seen.push(als.getStore());
          als.run('inner', () => { later(1); seen.push(als.getStore()); T.schedule(); seen.push(als.getStore()); });
          seen.push(als.getStore());
        });
        later(1);
        seen.push(als.getStore());
        return seen;
      }));
      const other = als.run('other', () => T.spawn(() => { const s = []; for (let i = 0; i < 4; i++) { later(1); s.push(als.getStore()); } return s; }));
      Promise.all([t.result, other.result]).then(out);
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([
      [
        ['outer', 'at creation', 'at creation', 'inner', 'inner', 'at creation', 'outer'],
        ['other', 'other', 'other', 'other'],
      ],
    ]);
  });

  it('handles many tasklets each suspended inside its own scope, interleaving', () => {
    const r = run(`
      const ts = [];
      for (let i = 0; i < 50; i++) {
        const res = new AsyncResource('r' + i);
        ts.push(T.spawn(() => res.runInAsyncScope(() => {
          let ok = true;
          for (let j = 0; j < 5; j++) {
            if (j % 2) T.schedule(); else later(j);
            ok &&= eid() === res.asyncId() && executionAsyncResource() === res;
          }
          return ok;
        })));
      }
      Promise.all(ts.map((t) => t.result)).then((v) => out(v.every(Boolean)));
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([true]);
  });

  it('resumes from a different callback than it suspended in (the node-fibers async-hooks case)', () => {
    const r = run(
      `
      const res = new AsyncResource('x');
      let t;
      const ch = new T.Channel();
      t = T.spawn(() => res.runInAsyncScope(() => { ch.receive(); return eid() === res.asyncId(); }));
      setTimeout(() => { ch.sendAsync(1); }, 5);
      t.result.then((v) => out(v));
    `,
      ['--force-async-hooks-checks'],
    );
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([true]);
  });

  it('works when instrumentation wrapped runInAsyncScope before the first suspension', () => {
    const r = run(`
      const original = AsyncResource.prototype.runInAsyncScope;
      AsyncResource.prototype.runInAsyncScope = function (...a) { return original.apply(this, a); };
      const res = new AsyncResource('x');
      T.spawn(() => res.runInAsyncScope(() => { later(1); return eid() === res.asyncId(); })).result.then(out);
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([true]);
  });

  it('still refuses with ERR_ASYNC_SCOPE, loudly, where Node’s async stack cannot be reached', () => {
    const r = run(`
      require('node:inspector').Session.prototype.connect = () => { throw new Error('no inspector here'); };
      const res = new AsyncResource('x');
      T.spawn(() => {
        try { res.runInAsyncScope(() => later(1)); out('suspended'); }
        catch (e) { out([e.code, /unreachable: no inspector here/.test(e.message)]); }
      });
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([['ERR_ASYNC_SCOPE', true]]);
  });
});
