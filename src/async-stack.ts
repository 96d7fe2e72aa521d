// Node's async-id stack across tasklet switches: a tasklet that suspends inside
// async scopes it opened (runInAsyncScope) takes their entries off the shared
// stack and puts them back when it resumes. Node has no public API for this;
// its own functions are reached once, through the in-process inspector.
import { AsyncResource } from 'node:async_hooks';

/** What of Node's lib/internal/async_hooks.js this module uses. */
interface Internals {
  /** async_hook_fields; [kStackLength] is the stack depth. */
  fields: Uint32Array;
  /** async_id_fields; the current execution and trigger ids. */
  ids: Float64Array;
  /** The async_wrap binding: async_ids_stack[2d] is the id that was current at depth d. */
  binding: { async_ids_stack: Float64Array };
  /** execution_async_resources: the resource of each entry pushed from JavaScript. */
  resources: unknown[];
  kStackLength: number;
  kExecutionAsyncId: number;
  kTriggerAsyncId: number;
  /** Pushes an entry and runs the `before` hooks (what runInAsyncScope does first). */
  emitBefore: (asyncId: number, triggerAsyncId: number, resource: unknown) => void;
  /** Runs the `after` hooks and pops the entry (what runInAsyncScope does last). */
  emitAfter: (asyncId: number) => void;
}

/** undefined: not looked up yet; null: not reachable (see `unreachable`). */
let internals: Internals | null | undefined;
/** internals.fields and kStackLength, kept apart for depth() on the switch path. */
let fields: Uint32Array | undefined;
let kDepth = 0;
let unreachable = 'not looked up (no tasklet was created in main)';

/** Saved entries, bottom first: flat [asyncId, triggerAsyncId, resource, ...]. */
export type SavedScopes = unknown[];

type Remote = { objectId?: string; value?: unknown; description?: string };
type Post = (method: string, params: object) => Record<string, unknown>;

/** The variables a function closes over, by name (innermost scope wins). */
function closure(post: Post, objectId: string): Map<string, Remote> {
  const props = post('Runtime.getProperties', { objectId, ownProperties: true });
  const internal = props.internalProperties as { name: string; value: Remote }[] | undefined;
  const scopes = internal?.find((p) => p.name === '[[Scopes]]')?.value.objectId;
  const out = new Map<string, Remote>();
  if (scopes === undefined) return out;
  for (const scope of post('Runtime.getProperties', { objectId: scopes, ownProperties: true }).result as {
    value?: Remote;
  }[]) {
    const id = scope.value?.objectId;
    if (id === undefined || scope.value!.description === 'Global') continue;
    for (const v of post('Runtime.getProperties', { objectId: id, ownProperties: true }).result as {
      name: string;
      value?: Remote;
    }[]) {
      if (v.value !== undefined && !out.has(v.name)) out.set(v.name, v.value);
    }
  }
  return out;
}

/** Looks Node's async-stack functions up through an inspector session; throws if anything is missing. */
function lookUp(): Internals {
  // Loaded here, not at the top: most programs never need it.
  const inspector = require('node:inspector') as typeof import('node:inspector');
  const session = new inspector.Session();
  session.connect();
  // Values cross between this code and the session's evaluations through process.
  const proto = Symbol.for('tasklet.asyncStack.prototype');
  const key = Symbol.for('tasklet.asyncStack.fetched');
  const holder = process as unknown as Record<symbol, unknown>;
  holder[proto] = AsyncResource.prototype;
  try {
    const post: Post = (method, params) => {
      let out: Record<string, unknown> | undefined;
      let failure: unknown;
      session.post(method, params, (err, res) => {
        failure = err;
        out = res as Record<string, unknown>;
      });
      if (failure) throw failure;
      if (out === undefined) throw new Error(`${method} did not answer synchronously`);
      return out;
    };
    const fetch = (remote: Remote | undefined): any => {
      if (remote?.objectId === undefined) throw new Error('a function of Node was not found');
      post('Runtime.callFunctionOn', {
        objectId: remote.objectId,
        functionDeclaration: `function () { process[Symbol.for(${JSON.stringify(key.description)})] = this; }`,
      });
      const value = holder[key];
      delete holder[key];
      return value;
    };
    // Any method of AsyncResource closes over lib/async_hooks.js's scope, which
    // holds emitBefore and emitAfter; plain getters first, as instrumentation
    // may have wrapped runInAsyncScope.
    let outer = new Map<string, Remote>();
    for (const name of ['asyncId', 'triggerAsyncId', 'runInAsyncScope']) {
      const method = post('Runtime.evaluate', {
        expression: `process[Symbol.for(${JSON.stringify(proto.description)})].${name}`,
      }).result as Remote;
      if (method.objectId !== undefined) outer = closure(post, method.objectId);
      if (outer.has('emitBefore') && outer.has('emitAfter')) break;
    }
    const emitBefore = fetch(outer.get('emitBefore'));
    const emitAfter = fetch(outer.get('emitAfter'));
    const binding = fetch(closure(post, outer.get('emitBefore')!.objectId!).get('async_wrap'));
    const c = binding?.constants ?? {};
    const found: Internals = {
      binding,
      fields: binding?.async_hook_fields,
      ids: binding?.async_id_fields,
      resources: binding?.execution_async_resources,
      kStackLength: c.kStackLength,
      kExecutionAsyncId: c.kExecutionAsyncId,
      kTriggerAsyncId: c.kTriggerAsyncId,
      emitBefore,
      emitAfter,
    };
    if (
      !(found.fields instanceof Uint32Array) ||
      !(found.ids instanceof Float64Array) ||
      !Array.isArray(found.resources) ||
      !(binding?.async_ids_stack instanceof Float64Array) ||
      typeof emitBefore !== 'function' ||
      typeof emitAfter !== 'function' ||
      ![c.kStackLength, c.kExecutionAsyncId, c.kTriggerAsyncId].every((k) => typeof k === 'number')
    ) {
      throw new Error("Node's async_hooks internals have an unknown shape");
    }
    return found;
  } finally {
    delete holder[proto];
    delete holder[key];
    session.disconnect();
  }
}

/** Makes the internals available if they can be; false (with `unreachableReason()`) if not. */
export function ready(): boolean {
  if (internals === undefined) {
    try {
      internals = lookUp();
      fields = internals.fields;
      kDepth = internals.kStackLength;
    } catch (error) {
      internals = null;
      unreachable = error instanceof Error ? error.message : String(error);
    }
  }
  return internals !== null;
}

/** Whether the lookup was made and succeeded (never looks up itself). */
export function available(): boolean {
  return internals !== null && internals !== undefined;
}

/** Why ready() or available() is false. */
export function unreachableReason(): string {
  return unreachable;
}

/** The stack depth, or -1 where the internals are not available (on the switch path: one load). */
export function depth(): number {
  return fields !== undefined ? fields[kDepth] : -1;
}

/**
 * The depth at which the entry with id `asyncId` is current, searching from
 * the top (for a tasklet that entered before the internals were looked up).
 * -1 if it is not on the stack. Call only when available().
 */
export function depthOf(asyncId: number): number {
  const n = internals!;
  const top = n.fields[n.kStackLength];
  if (n.ids[n.kExecutionAsyncId] === asyncId) return top;
  const stack = n.binding.async_ids_stack;
  for (let d = top - 1; d >= 0; d--) if (stack[2 * d] === asyncId) return d;
  return -1;
}

/**
 * Whether the entries above `base` can be taken off and put back: each was
 * pushed from JavaScript (a resource is recorded for it). An entry pushed by
 * native code (a synchronous MakeCallback into the tasklet) cannot.
 */
export function canSave(base: number): boolean {
  const n = internals!;
  const top = n.fields[n.kStackLength];
  if (base < 0 || base > top || n.resources.length !== top) return false;
  for (let d = base; d < top; d++) if (n.resources[d] === undefined) return false;
  return true;
}

/** Takes the entries above `base` off the stack (running their `after` hooks, top first). */
export function save(base: number): SavedScopes {
  const n = internals!;
  const top = n.fields[n.kStackLength];
  const out: SavedScopes = new Array((top - base) * 3);
  for (let d = top - 1; d >= base; d--) {
    const asyncId = n.ids[n.kExecutionAsyncId];
    out[3 * (d - base)] = asyncId;
    out[3 * (d - base) + 1] = n.ids[n.kTriggerAsyncId];
    out[3 * (d - base) + 2] = n.resources[d];
    n.emitAfter(asyncId);
  }
  return out;
}

/** Puts saved entries back on the stack (running their `before` hooks, bottom first). */
export function restore(saved: SavedScopes): void {
  const n = internals!;
  for (let i = 0; i < saved.length; i += 3) n.emitBefore(saved[i] as number, saved[i + 1] as number, saved[i + 2]);
}
