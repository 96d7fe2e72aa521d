// Loads the addon for this Node ABI (prebuild or local build) and types it.
import * as path from 'node:path';

/** The native half of every Tasklet object (internal fields: strand, async context). */
export interface TaskletBaseConstructor {
  new (): object;
}

/** What the addon exports (native/binding/engine_wrap.cc). */
export interface NativeBinding {
  TaskletBase: TaskletBaseConstructor;
  /** 0: resumed, 1: terminated (unwind now), 2: no strand could be made. */
  switchTo(target: object | null, spin: boolean): number;
  settle(value: unknown, pending: unknown, onRejected: (reason: unknown) => void): unknown;
  setRunner(runner: (tasklet: object) => object | null): void;
  setStackSize(bytes?: number): number;
  stats(): [strands: number, idle: number];
  inTasklet(): boolean;
}

export const SWITCH_RESUMED = 0;
export const SWITCH_TERMINATED = 1;
export const SWITCH_NO_STRAND = 2;

const major = Number(process.versions.node.split('.')[0]);
if (major < 20 || process.platform !== 'linux') {
  throw new Error(
    `tasklet supports Node.js 20, 22, 24 and 26 on Linux; this is Node.js ` +
      `${process.versions.node} on ${process.platform}-${process.arch}`,
  );
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => NativeBinding;

/** This environment's engine (each worker thread loads its own). */
export const native: NativeBinding = load(path.join(__dirname, '..', '..'));
