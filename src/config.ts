// Engine settings (strand stack size, time slice) and debug counters.
import { native } from './native';
import { checkNumber, checkOptions } from './errors';
import { getTimeSlice, liveCount, setTimeSlice } from './scheduler';

/** Options for {@link configure}. */
export interface ConfigureOptions {
  /** Stack size of strands created from now on, in bytes (default 1 MiB, at least 256 KiB). */
  stackSize?: number;
  /** How long the pump runs tasklets before the event loop gets a turn, in ms (default 10). */
  timeSlice?: number;
}

/** Changes engine settings for this thread; returns the settings now in force. */
export function configure(options?: ConfigureOptions): Required<ConfigureOptions> {
  options = checkOptions('options', options, ['stackSize', 'timeSlice']);
  if (options.stackSize !== undefined) {
    checkNumber('options.stackSize', options.stackSize, 256 * 1024, 2 ** 32, true);
    native.setStackSize(options.stackSize);
  }
  if (options.timeSlice !== undefined) {
    checkNumber('options.timeSlice', options.timeSlice, 0);
    setTimeSlice(options.timeSlice);
  }
  return { stackSize: native.setStackSize(), timeSlice: getTimeSlice() };
}

/** Counters for leak checks and debugging. */
export interface Stats {
  /** The engine: `'fiber'` (stacks switched on this thread) or `'strand'` (an OS thread per started tasklet). */
  engine: 'fiber' | 'strand';
  /** Why the fiber engine is not used (its load-time check that failed, or `TASKLET_ENGINE=strand`); undefined when it is. */
  engineReason: string | undefined;
  /** Tasklets that started and have not ended. */
  liveTasklets: number;
  /** Carriers this thread's engine owns: OS threads (strands) or stacks (fibers). */
  strands: number;
  /** Carriers waiting in the pool for a tasklet. */
  idleStrands: number;
  /** Waiters (strands or main) spinning for their turn right now, at most 2; 0 once everything waits parked. */
  spinning: number;
}

/** This thread's counters: live tasklets and strands. */
export function stats(): Stats {
  const [strands, idle, spinning] = native.stats();
  const [engine, reason] = native.engineInfo();
  return { engine, engineReason: reason === '' ? undefined : reason, liveTasklets: liveCount(), strands, idleStrands: idle, spinning };
}
