// Public entry point: re-exports only (after the platform check).
import './platform';
export {
  Tasklet,
  tasklet,
  spawn,
  schedule,
  scheduleRemove,
  run,
  getcurrent,
  getmain,
  getruncount,
  type RaiseOptions,
} from './tasklet';
export { setScheduleCallback, setChannelCallback, type ScheduleCallback, type ChannelCallback } from './trace';
export { blockOn, sleep, deferredTasklet, blockingTasklet } from './block-on';
export { Channel, type ChannelOptions, type Preference, type TryReceiveResult } from './channel';
export { select, type SelectCase, type SelectResult, type SelectResultOf, type SelectCaseResult } from './select';
export { TaskletError, TaskletExit, ChannelClosedError, type TaskletErrorCode } from './errors';
export { Timeout, TimeoutError, withTimeout } from './timeout';
export { joinAll, killAll, killAllAsync } from './join';
export { Event, Semaphore, BoundedSemaphore, Lock } from './sync';
export { Pool } from './tasklet-pool';
export {
  ThreadPool,
  type ThreadPoolOptions,
  type Task,
  type ModuleTask,
  type FunctionTask,
  type CheckedCalls,
  getThreadPool,
  suggestThreadPoolSize,
  deferToThread,
  callInThread,
  callMultipleInThread,
  exposeToThreads,
  callFromThread,
  blockingCallFromThread,
  ThreadChannel,
  type ThreadChannelOptions,
} from './threads';
export { configure, stats, type ConfigureOptions, type Stats } from './config';
