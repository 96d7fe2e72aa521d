// Tracing hooks (Stackless's set_schedule_callback / set_channel_callback):
// one callback on every switch between tasklets, one on every channel operation.
import { TaskletError, invalidArgType, messages } from './errors';
import type { Tasklet } from './tasklet';
import type { Channel } from './channel';

/** Called on every switch from `prev` to `next` (the main tasklet included), before the switch. */
export type ScheduleCallback = (prev: Tasklet, next: Tasklet) => void;

/**
 * Called on every channel send or receive by `tasklet`, once the operation
 * is known to go ahead: `willBlock` is true when it has to wait for a partner.
 */
export type ChannelCallback = (channel: Channel<any>, tasklet: Tasklet, isSending: boolean, willBlock: boolean) => void;

/** The schedule callback, or null: the switch path only compares this with null. */
export let scheduleHook: ScheduleCallback | null = null;
/** The channel callback, or null. */
export let channelHook: ChannelCallback | null = null;
/** A callback is running: it may not switch, and callbacks are not called again inside it. */
export let inCallback = false;

function checkCallback(fn: unknown): void {
  if (fn !== null && typeof fn !== 'function') throw invalidArgType('fn', 'of type function or null', fn);
}

/**
 * Sets the function called on every switch between tasklets, `fn(prev,
 * next)`, main included; `null` removes it. Returns the previous one (or
 * null). The callback runs before the switch, on `prev`'s stack; it may not
 * switch or block (those calls throw ERR_IN_CALLBACK), and an exception it
 * throws is re-thrown on the next tick as an uncaught exception while the
 * switch goes ahead.
 */
export function setScheduleCallback(fn: ScheduleCallback | null): ScheduleCallback | null {
  checkCallback(fn);
  const previous = scheduleHook;
  scheduleHook = fn;
  return previous;
}

/**
 * Sets the function called on every channel operation, `fn(channel,
 * tasklet, isSending, willBlock)`; `null` removes it. Returns the previous
 * one (or null). Same rules as {@link setScheduleCallback}.
 */
export function setChannelCallback(fn: ChannelCallback | null): ChannelCallback | null {
  checkCallback(fn);
  const previous = channelHook;
  channelHook = fn;
  return previous;
}

/** Reports an exception a callback threw without disturbing the caller: an uncaught exception on the next tick. */
function report(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

/** Calls the schedule callback (the caller checked scheduleHook !== null). */
export function onSwitch(prev: Tasklet, next: Tasklet): void {
  const fn = scheduleHook;
  if (inCallback || fn === null) return;
  inCallback = true;
  try {
    fn(prev, next);
  } catch (error) {
    report(error);
  } finally {
    inCallback = false;
  }
}

/** Calls the channel callback (the caller checked channelHook !== null). */
export function onChannel(channel: Channel<any>, tasklet: Tasklet, isSending: boolean, willBlock: boolean): void {
  const fn = channelHook;
  if (inCallback || fn === null) return;
  inCallback = true;
  try {
    fn(channel, tasklet, isSending, willBlock);
  } catch (error) {
    report(error);
  } finally {
    inCallback = false;
  }
}

/** Throws ERR_IN_CALLBACK when a callback is running (called before anything that would switch). */
export function checkNotInCallback(): void {
  if (inCallback) throwInCallback();
}

/** The ERR_IN_CALLBACK error: a callback tried to switch or block. */
export function throwInCallback(): never {
  throw new TaskletError('ERR_IN_CALLBACK', messages.inCallback());
}
