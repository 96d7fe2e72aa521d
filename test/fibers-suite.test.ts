// node-fibers' own test suite (fibers@5, pinned by sha512; fetched with npm
// pack, never vendored) passes unchanged through tasklet/fibers/register, on
// the engine and Node version this vitest runs on.
import { beforeAll, describe, expect, it } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const suite = require('../scripts/fibers-suite.js') as {
  VERSION: string;
  fetchSuite(): { dir?: string; skipped?: string };
  runSuite(dir: string): { results: Record<string, { pass: boolean; detail?: string; attempts?: number }> };
};

const TESTS = [
  'already-running.js', 'async-hooks.js', 'bad-context.js', 'child-process.js', 'cleanup.js', 'current.js',
  'exec.js', 'exit.js', 'fibonacci.js', 'finish-multiple.js', 'future-exception.js', 'future.js',
  'illegal-yield.js', 'pool.js', 'process-title.js', 'stack-overflow.js', 'stack-overflow2.js', 'started.js',
  'unwind.js',
];

let results: Record<string, { pass: boolean; detail?: string; attempts?: number }> | undefined;
let skipped: string | undefined;

beforeAll(() => {
  const got = suite.fetchSuite();
  if (got.skipped !== undefined) {
    skipped = got.skipped;
    console.warn(`\n\n*** SKIPPED: node-fibers' test suite: ${skipped} ***\n\n`);
    return;
  }
  results = suite.runSuite(got.dir!).results;
  const engine = process.env.TASKLET_ENGINE ?? 'default';
  console.log(
    `node-fibers ${suite.VERSION} suite, Node ${process.version}, engine ${engine}:\n` +
      Object.entries(results).map(([n, r]) => `  ${r.pass ? 'pass' : 'FAIL'}  ${n}${r.attempts ? ` (run ${r.attempts}: a timing test, see scripts/fibers-suite.js)` : ''}`).join('\n'),
  );
}, 300_000);

describe(`node-fibers ${suite.VERSION} test suite through tasklet/fibers/register`, () => {
  it('runs every test of the suite (the list is the tarball\'s test/ directory)', (ctx) => {
    if (skipped !== undefined) return ctx.skip(`SKIPPED: ${skipped}`);
    expect(Object.keys(results!).sort()).toEqual(TESTS);
  });

  it.for(TESTS)('%s passes', (name, ctx) => {
    if (skipped !== undefined) return ctx.skip(`SKIPPED: ${skipped}`);
    const r = results![name];
    expect(r?.pass, r?.detail).toBe(true);
  });
});
