// Per-tasklet async context. AsyncLocalStorage keeps its state either in
// V8's continuation-preserved embedder data (Node 24+, and 22 with
// --experimental-async-context-frame: saved and restored natively on every
// switch) or, before that, as symbol-keyed properties of the current async
// resource. For the latter this module gives each tasklet its own stores
// while it runs and puts the resource's own stores back when it suspends.
import { AsyncLocalStorage, executionAsyncId, executionAsyncResource } from 'node:async_hooks';
import { TaskletError, messages } from './errors';

/** Whether AsyncLocalStorage stores live on async resources (Node 20, 22). */
export const hooksMode =
  typeof (new AsyncLocalStorage() as unknown as { kResourceStore?: unknown }).kResourceStore === 'symbol';

/** Hooks mode only: set once any AsyncLocalStorage is enabled; until then there is nothing to save. */
let inUse = false;

/** Saved stores: flat [symbol, value, symbol, value, ...], or undefined for none. */
export type Saved = unknown[] | undefined;

/** What a tasklet holds of the async context while it runs. */
export interface Holder {
  als: Saved;
  alsResource: Record<symbol, unknown> | undefined;
  alsOriginal: Saved;
  alsAsyncId: number;
}

function snapshot(resource: Record<symbol, unknown>): Saved {
  let out: unknown[] | undefined;
  for (const key of Object.getOwnPropertySymbols(resource)) {
    if (key.description !== 'kResourceStore') continue;
    const value = resource[key];
    if (value === undefined) continue;
    (out ??= []).push(key, value);
  }
  return out;
}

function assign(resource: Record<symbol, unknown>, from: Saved, to: Saved): void {
  // Setting to undefined, not deleting, keeps the resource's shape fast.
  if (from !== undefined) for (let i = 0; i < from.length; i += 2) resource[from[i] as symbol] = undefined;
  if (to !== undefined) for (let i = 0; i < to.length; i += 2) resource[to[i] as symbol] = to[i + 1];
}

/** The stores a new tasklet inherits from its creator. */
export function capture(): Saved {
  if (!inUse) return undefined;
  return snapshot(executionAsyncResource() as Record<symbol, unknown>);
}

/** A tasklet resumes: lend it the current resource with its own stores. */
export function enter(h: Holder): void {
  h.alsAsyncId = executionAsyncId();
  if (!inUse) return;
  const resource = executionAsyncResource() as Record<symbol, unknown>;
  const original = snapshot(resource);
  if (original === undefined && h.als === undefined) {
    h.alsResource = undefined;
    return;
  }
  h.alsResource = resource;
  h.alsOriginal = original;
  assign(resource, original, h.als);
}

/** A tasklet suspends: keep its stores, give the resource its own back. */
export function leave(h: Holder): void {
  if (!inUse) return;
  const resource = h.alsResource ?? (executionAsyncResource() as Record<symbol, unknown>);
  const mine = snapshot(resource);
  if (h.alsResource !== undefined || mine !== undefined) assign(resource, mine, h.alsOriginal);
  h.als = mine;
  h.alsResource = undefined;
  h.alsOriginal = undefined;
}

/** Throws if the tasklet opened an async scope it has not left (suspending would corrupt Node's async stack). */
export function checkScope(h: Holder): void {
  if (executionAsyncId() !== h.alsAsyncId) throw new TaskletError('ERR_ASYNC_SCOPE', messages.asyncScope());
}

/** checkScope() without the throw: whether the tasklet may suspend here. */
export function inOwnScope(h: Holder): boolean {
  return executionAsyncId() === h.alsAsyncId;
}

// Hooks mode: AsyncLocalStorage#_enable() runs when a store is first used;
// it is wrapped to turn the per-switch store handling on only from then.
// AsyncLocalStorage#run() restores the previous store on the
// resource that was current when it was called. A tasklet that suspends
// inside run() resumes on another resource, so run() must restore on the
// resource current when it returns. This wraps run() to do that inside
// tasklets; outside them it calls Node's own run() unchanged.
let inTaskletCheck: () => boolean = () => false;

export function installPatches(inTasklet: () => boolean): void {
  inTaskletCheck = inTasklet;
  if (!hooksMode) return;
  type Als = AsyncLocalStorage<unknown> & { kResourceStore: symbol; _enable?: () => void; getStore(): unknown };
  const proto = AsyncLocalStorage.prototype as unknown as Als & { __taskletPatched?: boolean };
  if (proto.__taskletPatched) {
    inUse = true; // another copy of this library patched first: stay safe
    return;
  }
  const original = proto.run;
  const enable = proto._enable;
  Object.defineProperty(proto, '__taskletPatched', { value: true });
  if (typeof enable === 'function') {
    Object.defineProperty(proto, '_enable', {
      configurable: true,
      writable: true,
      value: function _enable(this: Als) {
        inUse = true;
        return enable.call(this);
      },
    });
  } else {
    inUse = true;
  }
  Object.defineProperty(proto, 'run', {
    configurable: true,
    writable: true,
    value: function run(this: Als, store: unknown, callback: (...a: unknown[]) => unknown, ...args: unknown[]) {
      if (!inTaskletCheck() || typeof this._enable !== 'function') {
        return (original as (...a: unknown[]) => unknown).call(this, store, callback, ...args);
      }
      this._enable();
      const key = this.kResourceStore;
      const before = (executionAsyncResource() as Record<symbol, unknown>)[key];
      (executionAsyncResource() as Record<symbol, unknown>)[key] = store;
      try {
        return callback(...args);
      } finally {
        (executionAsyncResource() as Record<symbol, unknown>)[key] = before;
      }
    },
  });
}
