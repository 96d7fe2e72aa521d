// Per-tasklet async context. AsyncLocalStorage keeps its state either in
// V8's continuation-preserved embedder data (Node 24+, and 22 with
// --experimental-async-context-frame: saved and restored natively on every
// switch) or, before that, as symbol-keyed properties of the current async
// resource. For the latter this module gives each tasklet its own stores
// while it runs and puts the resource's own stores back when it suspends.
// Async scopes a tasklet opened (runInAsyncScope) leave Node's async-id stack
// when it suspends and come back when it resumes (src/async-stack.ts).
import { AsyncLocalStorage, executionAsyncId, executionAsyncResource } from 'node:async_hooks';
import { TaskletError, messages } from './errors';
import * as stack from './async-stack';

export type { SavedScopes } from './async-stack';

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
  /** executionAsyncId() when the tasklet last resumed (recorded only while alsDepth is -1). */
  alsAsyncId: number;
  /** The async-id stack depth when it last resumed; -1 if not known (internals not looked up then). */
  alsDepth: number;
  /** Entries of the scopes it was inside when it suspended, to push back when it resumes. */
  alsScopes: stack.SavedScopes | undefined;
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

/**
 * Set by installPatches(): the first tasklet created in main looks Node's
 * async stack up (src/async-stack.ts), on main's own stack. (The segfaults once
 * blamed on doing it on a fiber were scavenges corrupting a young context
 * frame, with or without an inspector session: fixed in native/engine/engine.cc.)
 */
let lookUpPending = false;

/** The stores a new tasklet inherits from its creator. */
export function capture(): Saved {
  if (lookUpPending && !inTaskletCheck()) {
    lookUpPending = false;
    stack.ready();
  }
  if (!inUse) return undefined;
  return snapshot(executionAsyncResource() as Record<symbol, unknown>);
}

/** A tasklet resumes: lend it the current resource with its own stores, reopen its scopes. */
export function enter(h: Holder): void {
  const depth = stack.depth();
  h.alsDepth = depth;
  if (depth < 0) h.alsAsyncId = executionAsyncId(); // no depth (the lookup failed): compare ids instead
  if (inUse) lend(h);
  if (h.alsScopes !== undefined) {
    const saved = h.alsScopes;
    h.alsScopes = undefined;
    stack.restore(saved);
  }
}

function lend(h: Holder): void {
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

/** Whether the tasklet is inside async scopes it opened since it resumed (a compare when it is not). */
function inScope(h: Holder): boolean {
  return h.alsDepth >= 0 ? stack.depth() !== h.alsDepth : executionAsyncId() !== h.alsAsyncId;
}

/** A tasklet suspends: take its scopes off the stack, keep its stores, give the resource its own back. */
export function leave(h: Holder): void {
  if (inScope(h) && h.alsDepth >= 0 && stack.canSave(h.alsDepth)) h.alsScopes = stack.save(h.alsDepth);
  if (!inUse) return;
  const resource = h.alsResource ?? (executionAsyncResource() as Record<symbol, unknown>);
  const mine = snapshot(resource);
  if (h.alsResource !== undefined || mine !== undefined) assign(resource, mine, h.alsOriginal);
  h.als = mine;
  h.alsResource = undefined;
  h.alsOriginal = undefined;
}

/**
 * Called before a tasklet suspends: if it is inside async scopes it opened,
 * makes sure leave() can take them off Node's stack, or throws
 * ERR_ASYNC_SCOPE (Node's internals unreachable, or a scope native code opened).
 */
export function checkScope(h: Holder): void {
  if (!inScope(h)) return;
  if (!stack.available()) {
    const why = `Node's async-id stack is unreachable: ${stack.unreachableReason()}`;
    throw new TaskletError('ERR_ASYNC_SCOPE', messages.asyncScope(why));
  }
  // Entered before the lookup (not expected: main looks up before the first tasklet runs): find its entry depth.
  if (h.alsDepth < 0) h.alsDepth = stack.depthOf(h.alsAsyncId);
  if (!stack.canSave(h.alsDepth)) {
    throw new TaskletError('ERR_ASYNC_SCOPE', messages.asyncScope('a scope on it was opened by native code'));
  }
}

/** checkScope() without the throw: whether the tasklet may suspend here. */
export function maySuspend(h: Holder): boolean {
  if (!inScope(h)) return true;
  if (!stack.available()) return false;
  if (h.alsDepth < 0) h.alsDepth = stack.depthOf(h.alsAsyncId);
  return stack.canSave(h.alsDepth);
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
  lookUpPending = true;
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
