// Waiting for tasklets to end: tasklet.join(), joinAll(), killAll() and
// their Promise twins (gevent's join, joinall, killall).
import { TaskletError, blockingInMain, invalidArgType, messages } from './errors';
import { Phase, checkSuspendable, getCurrentTasklet, getMainTasklet, inTasklet, stateOf, unwatch, wake, watch } from './scheduler';
import { Tasklet } from './tasklet';
import { blockWithin, checkMs, promiseWithin } from './timeout';

function checkJoinable(t: Tasklet, what: string): void {
  if (t === getMainTasklet()) throw new TaskletError('ERR_MAIN_TASKLET', messages.main(what));
}

/** Blocks the calling tasklet until `t` ends (true) or `ms` passes (false). */
export function joinTasklet(t: Tasklet, ms: number | undefined): boolean {
  checkMs(ms);
  checkJoinable(t, 'join()');
  if (!inTasklet()) throw blockingInMain('Tasklet#join()', 'use joinAsync()');
  if (t === getCurrentTasklet()) throw new TaskletError('ERR_TASKLET_CURRENT', messages.current('join()'));
  if (stateOf(t).phase === Phase.Dead) return true;
  if (ms === 0) return false;
  checkSuspendable();
  const me = getCurrentTasklet();
  const w = {
    ended(): void {
      const s = stateOf(me);
      s.resumeValue = true;
      s.resumeFailed = false;
      wake(me);
    },
  };
  watch(t, w);
  return blockWithin(ms, () => unwatch(t, w), false) as boolean;
}

/** A Promise of true when `t` ends, false when `ms` passes first. Anywhere. */
export function joinTaskletAsync(t: Tasklet, ms: number | undefined): Promise<boolean> {
  try {
    checkMs(ms);
    checkJoinable(t, 'joinAsync()');
  } catch (error) {
    return Promise.reject(error);
  }
  if (stateOf(t).phase === Phase.Dead) return Promise.resolve(true);
  if (ms === 0) return Promise.resolve(false);
  let w: { ended(): void } | undefined;
  return promiseWithin(
    ms,
    (done) => {
      w = { ended: done };
      watch(t, w);
    },
    () => unwatch(t, w!),
  );
}

function checkTasklets(tasklets: unknown, what: string): Tasklet[] {
  if (tasklets === null || typeof tasklets !== 'object' || !(Symbol.iterator in tasklets)) {
    throw invalidArgType('tasklets', 'an iterable of Tasklets', tasklets);
  }
  const list = Array.from(tasklets as Iterable<unknown>);
  list.forEach((t, i) => {
    if (!(t instanceof Tasklet)) throw invalidArgType(`tasklets[${i}]`, 'an instance of Tasklet', t);
    checkJoinable(t, what);
  });
  return list as Tasklet[];
}

/**
 * Blocks the calling tasklet until every tasklet in `tasklets` has ended
 * (true) or `ms` has passed (false).
 */
export function joinAll(tasklets: Iterable<Tasklet>, ms?: number): boolean {
  checkMs(ms);
  const list = checkTasklets(tasklets, 'joinAll()');
  if (!inTasklet()) throw blockingInMain('joinAll()', 'await Promise.all(tasklets.map((t) => t.joinAsync()))');
  const me = getCurrentTasklet();
  if (list.includes(me)) throw new TaskletError('ERR_TASKLET_CURRENT', messages.current('joinAll()'));
  const end = ms === undefined ? Infinity : performance.now() + ms;
  for (const t of list) {
    const left = end === Infinity ? undefined : Math.max(0, end - performance.now());
    if (!joinTasklet(t, left)) return false;
  }
  return true;
}

/**
 * Kills every tasklet in `tasklets` (TaskletExit, so their finally blocks
 * run) and blocks the calling tasklet until all have ended. In main:
 * ERR_BLOCKING_IN_MAIN; use killAllAsync().
 */
export function killAll(tasklets: Iterable<Tasklet>): void {
  const list = checkTasklets(tasklets, 'killAll()');
  if (!inTasklet()) throw blockingInMain('killAll()', 'use killAllAsync()');
  if (list.includes(getCurrentTasklet())) throw new TaskletError('ERR_TASKLET_CURRENT', messages.current('killAll()'));
  for (const t of list) t.kill();
  for (const t of list) joinTasklet(t, undefined);
}

/** Kills every tasklet in `tasklets` now and resolves when all have ended. Anywhere (not on the current tasklet). */
export function killAllAsync(tasklets: Iterable<Tasklet>): Promise<void> {
  let list: Tasklet[];
  try {
    list = checkTasklets(tasklets, 'killAllAsync()');
    if (list.includes(getCurrentTasklet())) throw new TaskletError('ERR_TASKLET_CURRENT', messages.current('killAllAsync()'));
    for (const t of list) t.kill();
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.all(list.map((t) => joinTaskletAsync(t, undefined))).then(() => undefined);
}
