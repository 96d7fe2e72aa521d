// Entry point of `tasklet/fibers/future`: module.exports is the Future class,
// as `require('fibers/future')` gave it; loading it installs Function.prototype.future.
import { Future } from './future';

export = Future;
