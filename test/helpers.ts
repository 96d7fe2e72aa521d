// Test helpers: the built library, and child processes with time limits for
// anything that can crash or hang.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const DIST = path.join(__dirname, '..', 'dist', 'cjs', 'index.js');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `code` (CommonJS; `T` is the library) in a fresh node process with a
 * time limit. `flags` go to node before the script.
 */
export function runChild(
  code: string,
  options: { flags?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv; ulimitVirtualKb?: number } = {},
): ChildResult {
  const script = `const T = require(${JSON.stringify(DIST)});\n${code}`;
  const timeout = options.timeoutMs ?? 20_000;
  const argv = [...(options.flags ?? []), '-e', script];
  // With ulimitVirtualKb, run under `ulimit -v` (address space) via bash.
  const [file, args] =
    options.ulimitVirtualKb === undefined
      ? [process.execPath, argv]
      : ['bash', ['-c', `ulimit -v ${options.ulimitVirtualKb} && exec "$0" "$@"`, process.execPath, ...argv]];
  const r = spawnSync(file, args, {
    encoding: 'utf8',
    timeout,
    killSignal: 'SIGKILL',
    env: { ...process.env, ...options.env },
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    timedOut: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT',
  };
}

/** Resolves after the current macrotask (so microtask-started tasklets have run). */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Polls `cond` until true or `ms` elapsed. */
export async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A seeded PRNG (the oracle's mulberry32, test/oracle/program.js): a failing random test replays the same steps. */
export function seeded(seed: number): () => number {
  const { prng } = require('./oracle/program.js') as { prng: (seed: number) => () => number };
  return prng(seed);
}
