// The oracle (issue 12, point 4): random programs of spawn, schedule, run,
// switch, insert/remove, kill, throw (pending too), channels (trySend and
// tryReceive too), select, sleep and blockOn, run in a
// plain-JS model of docs/api.md (test/oracle/model.js) and for real, on both
// engines, each in a child process with a time limit. By hand:
//   SEED=123 ITER=5000 npx vitest run test/oracle.test.ts
// (ORACLE_STRICT=1 also compares the programs that meet a known departure.)
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stats } from '../dist/cjs/index.js';
import { runChild } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DEPARTURES } = require('./oracle/model.js') as { DEPARTURES: Record<string, string> };

const CLI = path.join(__dirname, 'oracle', 'cli.js');
const SEED = Number(process.env.SEED ?? 1);
const ITER = Number(process.env.ITER ?? 300);
const byHand = process.env.SEED !== undefined || process.env.ITER !== undefined;
// ~4 ms a program on two loaded cores; generous, since a hang is what this limit is for.
const LIMIT_MS = 30_000 + ITER * 40;

interface Summary {
  engine: string;
  passed: number;
  failed: number;
  skipped: Record<string, number>;
}

/** Whether this machine refuses the fiber engine (so TASKLET_ENGINE=fiber must fail to load). */
const fiberRefused = stats().engine === 'strand' && stats().engineReason !== 'TASKLET_ENGINE=strand';

/** Runs the oracle's runner (test/oracle/cli.js) in a child and checks its report. */
function runOracle(engine: string, iter: number, exitPass: boolean): void {
  const limit = exitPass ? 30_000 + iter * 1_000 : LIMIT_MS;
  const r = runChild(`require(${JSON.stringify(CLI)});`, {
    env: {
      TASKLET_ENGINE: engine,
      ORACLE_SEED: String(SEED),
      ORACLE_ITER: String(iter),
      ORACLE_EXIT: exitPass ? '1' : '0',
    },
    timeoutMs: limit,
  });
  if (engine === 'fiber' && fiberRefused) {
    expect(r.stderr).toContain('TASKLET_ENGINE=fiber: the fiber engine cannot run here');
    return;
  }
  const lines = r.stdout.split('\n');
  const started = lines.filter((l) => l.startsWith('start ')).pop();
  expect(r.timedOut, `no end after ${limit} ms; last program: ${started}`).toBe(false);
  expect(r.signal, `killed by ${r.signal} during ${started}; stderr: ${r.stderr}`).toBe(null);
  expect(r.stderr, 'stderr').toBe('');
  const failures = lines.filter((l) => l.startsWith('FAIL ')).map((l) => JSON.parse(l.slice(5)));
  const report = failures
    .map((f) => `seed ${f.seed}: ${f.problem}\nminimized:\n${f.minimized}\n${JSON.stringify(f.minimizedResult, null, 1)}`)
    .join('\n\n');
  expect(failures, report).toEqual([]);
  const summaryLine = lines.find((l) => l.startsWith('SUMMARY '));
  expect(summaryLine, r.stdout.slice(-2000)).toBeDefined();
  const summary = JSON.parse(summaryLine!.slice(8)) as Summary;
  expect(summary.engine).toBe(engine);
  // Programs that meet a known departure (see DEPARTURES) are kept out of the comparison.
  for (const d of Object.keys(summary.skipped)) expect(Object.keys(DEPARTURES)).toContain(d);
  const skipped = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  expect(summary.passed + skipped).toBe(iter);
  // The filter must not hide most programs.
  expect(summary.passed).toBeGreaterThanOrEqual(iter * (exitPass ? 0.8 : 0.9));
  if (byHand) console.log(`oracle on ${engine}${exitPass ? ' (exit pass)' : ''}: ${JSON.stringify(summary)}`);
}

// The exit pass needs a process per program (~0.2 s each): a thirtieth of the programs.
const EXIT_ITER = Math.max(1, Math.ceil(ITER / 30));

describe.each(['fiber', 'strand'])('the oracle on the %s engine', (engine) => {
  it(`runs programs ${SEED}..${SEED + ITER - 1} with the model's trace, no value lost or duplicated, nothing left`, () => {
    runOracle(engine, ITER, false);
  }, LIMIT_MS + 5_000);

  it(`leaves programs ${SEED}..${SEED + EXIT_ITER - 1} to the exit pass: each tasklet ends, its finally block once`, () => {
    runOracle(engine, EXIT_ITER, true);
  }, 35_000 + EXIT_ITER * 1_000);
});
