// Entry point of `tasklet/fibers`: module.exports is the Fiber function, as
// `require('fibers')` gave it.
import { Fiber } from './fiber';

export = Fiber;
