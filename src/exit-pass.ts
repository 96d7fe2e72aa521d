// The exit pass: on a normal exit (the loop ran dry with tasklets still
// suspended) Stackless kills what is left so that finally blocks run. The
// pass goes round until no tasklet is left: each round runs every runnable
// tasklet once (including those started during the pass) and raises
// TaskletExit in each suspended one. During the pass calls that complete
// without waiting work; a call that would wait gets TaskletExit. A pass whose
// finally blocks keep making work ends after EXIT_ROUNDS rounds; what is
// left then is unwound natively without running more code, as on
// process.exit(). process.exit() and worker.terminate() run no user code:
// the native cleanup hook unwinds suspended carriers without running JavaScript.
import { TaskletExit } from './errors';
import {
  Phase,
  aliveCount,
  aliveTasklets,
  firstQueued,
  getCurrentTasklet,
  getMainTasklet,
  giveBack,
  halt,
  queuedCount,
  runNow,
  setExiting,
  stateOf,
} from './scheduler';

/** Rounds of the exit pass at most (each runs every runnable tasklet once). */
const EXIT_ROUNDS = 1000;

function exitRound(): void {
  // Set up but taken out of the queue before they started: ended without
  // running, as kill() ends a tasklet that never ran.
  for (const t of aliveTasklets()) {
    const s = stateOf(t);
    if (s.phase === Phase.Ready && !s.queued) t.kill();
  }
  for (let n = queuedCount(), t = firstQueued(); n > 0 && t !== null; n--, t = firstQueued()) runNow(t);
  for (const t of aliveTasklets()) {
    const s = stateOf(t);
    if (s.phase !== Phase.Started || s.queued) continue;
    s.cancelWait?.();
    s.cancelWait = undefined;
    s.blocked = false;
    giveBack(s);
    s.pending = { error: new TaskletExit('process is exiting') };
    runNow(t);
  }
}

const left = aliveCount;

process.on('beforeExit', () => {
  if (getCurrentTasklet() !== getMainTasklet() || left() === 0) return;
  setExiting(true);
  try {
    for (let round = 0; round < EXIT_ROUNDS && left() > 0; round++) exitRound();
  } finally {
    setExiting(false);
  }
  if (left() > 0) {
    halt();
    process.emitWarning(
      `${left()} tasklet(s) still running after ${EXIT_ROUNDS} rounds of TaskletExit at exit; ` +
        'the scheduler stops here and they are unwound without running more code',
      'TaskletExitWarning',
    );
  }
});
