// Scavenges while AsyncLocalStorage's context frame is young and tasklets are
// suspended (V8 visits the frame's slot once per archived thread): no crash.
// Each case runs in a child with a small young generation and a time limit.
import { describe, expect, it } from 'vitest';
import { runChild } from './helpers';

const major = Number(process.versions.node.split('.')[0]);
// Node 22 keeps AsyncLocalStorage in the context frame only with this flag; 20 never does.
const FRAME = major === 22 ? ['--experimental-async-context-frame'] : [];

// 20 tasklets under als.run() switch many times while short-lived frames (nested run()) fill the young generation.
const SWITCHING = `
const { AsyncLocalStorage } = require('node:async_hooks');
const als = new AsyncLocalStorage();
let done = 0;
for (let i = 0; i < 20; i++) T.spawn(() => als.run({ i }, () => {
  for (let k = 0; k < 2000; k++) {
    if (k % 5 === 0) als.run({ i, k }, () => {});
    else if (k % 3 === 0) T.blockOn(Promise.resolve(k));
    else T.schedule();
    if (als.getStore().i !== i) throw new Error('wrong store');
  }
  done++;
}));
process.on('exit', () => console.log('done', done));
`;

function expectClean(code: string): void {
  const r = runChild(code, { timeoutMs: 60_000, flags: [...FRAME, '--max-semi-space-size=1'] });
  expect(r.timedOut).toBe(false);
  expect(r.signal, r.stderr.slice(0, 400)).toBe(null);
  expect(r.status, r.stderr.slice(0, 400)).toBe(0);
  expect(r.stdout.trim()).toBe('done 20');
}

describe('context frame across scavenges', () => {
  it('tasklets switching under AsyncLocalStorage survive scavenges of young frames', () => {
    for (let run = 0; run < 3; run++) expectClean(SWITCHING);
  });

  it('also after an inspector session was used inside a tasklet (a profiler in a request handler)', () => {
    const session = `
const inspector = require('node:inspector');
T.spawn(() => {
  const s = new inspector.Session();
  s.connect();
  s.post('Runtime.evaluate', { expression: 'process.version' }, () => {});
  s.disconnect();
});
`;
    for (let run = 0; run < 3; run++) expectClean(session + SWITCHING);
  });
});
