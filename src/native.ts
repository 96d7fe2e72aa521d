// Loads the addon for this Node ABI (prebuild or local build) and types it.
import * as path from 'node:path';

/** The native half of every Tasklet object (internal fields: strand, async context). */
export interface TaskletBaseConstructor {
  new (): object;
}

/** The native half of every Channel object (native/binding/channel_wrap.cc). */
export interface ChannelBaseInstance {
  /** -> ChannelOp; a woken receiver lands in out[1]. */
  _send(value: unknown, isException: boolean, waiter: object | undefined, out: unknown[]): number;
  /** -> ChannelOp; value, woken sender and isException land in out[0..2]. */
  _receive(waiter: object | undefined, out: unknown[]): number;
  /** -> ChannelOp; puts a value back in front (even when closing); a woken receiver lands in out[1]. */
  _putBack(value: unknown, isException: boolean, out: unknown[]): number;
  _wait(waiter: object, isSender: boolean, value: unknown, isException: boolean): void;
  _cancel(waiter: object): boolean;
  /** Closes; returns the receivers that must fail. */
  _close(): object[];
  _open(): void;
  /** [balance, closing, closed, buffered] */
  _state(): [number, boolean, boolean, number];
  _balance(): number;
}
export interface ChannelBaseConstructor {
  new (capacity: number): ChannelBaseInstance;
}

export const OP_DONE = 0;
export const OP_WAKE = 1;
export const OP_BLOCKED = 2;
export const OP_WOULD_BLOCK = 3;
export const OP_CLOSED = 4;

/** What the addon exports (native/binding/engine_wrap.cc, channel_wrap.cc). */
export interface NativeBinding {
  TaskletBase: TaskletBaseConstructor;
  ChannelBase: ChannelBaseConstructor;
  /** 0: resumed, 1: terminated (unwind now), 2: no carrier (fiber stack or strand thread) could be made. */
  switchTo(target: object | null, spin: boolean): number;
  settle(value: unknown, pending: unknown, onRejected: (reason: unknown) => void): unknown;
  setRunner(runner: (tasklet: object) => object | null): void;
  setStackSize(bytes?: number): number;
  /** Save/restore V8's continuation-preserved embedder data on switches (AsyncContextFrame). */
  setTrackContextFrame(on: boolean): void;
  /** [carriers (strands or fibers), idle ones, spinner slots in use] */
  stats(): [carriers: number, idle: number, spinning: number];
  /** [engine name, why the fiber engine is not used ('' when it is), TASKLET_ENGINE=fiber asked and refused] */
  engineInfo(): [name: 'fiber' | 'strand', reason: string, forcedFailed: boolean];
}

export const SWITCH_RESUMED = 0;
export const SWITCH_TERMINATED = 1;
export const SWITCH_NO_CARRIER = 2;

import './platform';
import { TaskletError, messages } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => NativeBinding;

/** This environment's engine (each worker thread loads its own). */
export const native: NativeBinding = load(path.join(__dirname, '..', '..'));

const chosen = process.env.TASKLET_ENGINE;
if (chosen !== undefined && chosen !== '' && chosen !== 'fiber' && chosen !== 'strand') {
  throw new TaskletError('ERR_INVALID_ENGINE', messages.invalidEngine(chosen));
}
const [, engineReason, engineForcedFailed] = native.engineInfo();
if (engineForcedFailed) {
  throw new TaskletError('ERR_ENGINE_UNAVAILABLE', messages.engineUnavailable(engineReason));
}
