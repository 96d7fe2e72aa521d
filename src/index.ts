// Public entry point: re-exports only.
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
} from './tasklet';
export { blockOn, sleep, deferredTasklet, blockingTasklet } from './block-on';
export { TaskletError, TaskletExit, type TaskletErrorCode } from './errors';
export { configure, stats, type ConfigureOptions, type Stats } from './config';
