// Exit, worker termination and GC stress: each case runs in a child process
// with a time limit and asserts its exit code, signal and output.
import { describe, expect, it } from 'vitest';
import { type ChildResult, DIST, runChild } from './helpers';

function expectClean(r: ChildResult, status = 0): void {
  expect(r.timedOut, `timed out; stderr: ${r.stderr}`).toBe(false);
  expect(r.signal, `killed by a signal; stderr: ${r.stderr}`).toBe(null);
  expect(r.stderr).not.toMatch(/Deinitializing|Check failed|FATAL|Segmentation|tasklet: fatal/);
  expect(r.status, `stderr: ${r.stderr}`).toBe(status);
}

describe('process exit', () => {
  it('exits cleanly with 100 suspended tasklets, running their finally blocks', () => {
    const r = runChild(`
      let finallies = 0;
      process.on('exit', () => console.log('finally blocks run:', finallies));
      const never = new Promise(() => {});
      for (let i = 0; i < 100; i++) {
        T.spawn(() => {
          try {
            if (i % 3 === 0) T.blockOn(never);
            else if (i % 3 === 1) T.scheduleRemove();
            else T.blockOn(never.then(() => 1));
          } finally { finallies++; }
        });
      }
      const iv = setInterval(() => {
        if (T.stats().liveTasklets < 100) return; // all started (slow under sanitizers)
        clearInterval(iv);
        console.log('stats', JSON.stringify(T.stats()));
      }, 5);
    `);
    expectClean(r);
    expect(r.stdout).toContain('"liveTasklets":100');
    // The exit listener registered first runs first; the kills come after it.
    const killed = runChild(`
      const never = new Promise(() => {});
      let finallies = 0;
      for (let i = 0; i < 100; i++) T.spawn(() => { try { T.blockOn(never); } finally { finallies++; } });
      setTimeout(() => process.on('exit', () => console.log('finallies', finallies)), 20);
    `);
    expectClean(killed);
    expect(killed.stdout.trim()).toBe('finallies 100');
  });

  it('a tasklet that blocks again while being killed at exit gets TaskletExit again', () => {
    const r = runChild(`
      T.spawn(() => {
        try { T.blockOn(new Promise(() => {})); }
        finally {
          try { T.sleep(10); console.log('slept'); }
          catch (e) { console.log('second', e.name); }
        }
      });
    `);
    expectClean(r);
    expect(r.stdout.trim()).toBe('second TaskletExit');
  });

  it('a tasklet started during the exit pass is killed too: its finally runs, its result settles', () => {
    const r = runChild(`
      const ch = new T.Channel();
      let late;
      T.spawn(() => {
        try { T.blockOn(new Promise(() => {})); }
        finally {
          late = T.spawn(() => { try { ch.receive(); } finally { console.log('late finally'); } });
          late.result.then((v) => console.log('late result', v));
        }
      });
      process.on('exit', () => console.log('live', T.stats().liveTasklets, 'balance', ch.balance));
    `);
    expectClean(r);
    expect(r.stdout).toBe('late finally\nlate result undefined\nlive 0 balance 0\n');
  });

  it('an exit pass whose finally blocks keep spawning still ends, with a warning', () => {
    const r = runChild(`
      let generations = 0;
      function forever() { try { T.sleep(Infinity); } finally { generations++; T.spawn(forever); } }
      T.spawn(forever);
      process.on('exit', () => console.log('ended after', generations > 100 ? 'many rounds' : generations));
    `);
    expectClean(r);
    expect(r.stdout).toBe('ended after many rounds\n');
    expect(r.stderr).toMatch(/TaskletExitWarning: \d+ tasklet\(s\) still running after 1000 rounds/);
  });

  it('during the exit pass, calls that do not wait work; only a wait gets TaskletExit', () => {
    const r = runChild(`
      const out = new T.Channel({ capacity: 2 });
      const buffered = new T.Channel({ capacity: 1 });
      let other;
      T.spawn(() => {
        T.blockOn(new Promise((r) => setTimeout(r, 5))); // let buffered fill first
        try { T.blockOn(new Promise(() => {})); }
        finally {
          out.send('done');                               // room in the buffer: works
          console.log('received', buffered.receive());    // a buffered value: works
          T.schedule();                                   // yields, does not wait
          other.kill();                                   // kill another tasklet
          try { out.send('a'); out.send('b'); }           // the second one would wait
          catch (e) { console.log('full:', e.name); }
        }
      });
      other = T.spawn(() => { try { T.blockOn(new Promise(() => {})); } finally { console.log('other killed'); } });
      buffered.sendAsync('kept');
      process.on('exit', () => console.log('out has', out.buffered));
    `);
    expectClean(r);
    expect(r.stdout).toBe('received kept\nother killed\nfull: TaskletExit\nout has 2\n');
  });

  it('process.exit() from a tasklet exits with that code while others are suspended', () => {
    const r = runChild(`
      for (let i = 0; i < 20; i++) T.spawn(() => T.blockOn(new Promise(() => {})));
      T.spawn(() => { T.sleep(20); process.exit(3); });
    `);
    expectClean(r, 3);
  });

  it('an uncaught exception with suspended tasklets exits 1 with the error, no abort', () => {
    const r = runChild(`
      for (let i = 0; i < 20; i++) T.spawn(() => T.sleep(10000));
      setTimeout(() => { throw new Error('uncaught here'); }, 20);
    `);
    expectClean(r, 1);
    expect(r.stderr).toContain('uncaught here');
  });
});

describe('workers', () => {
  it('worker.terminate() while 50 tasklets are suspended in the worker: no hang, no crash', () => {
    const r = runChild(`
      const { Worker } = require('node:worker_threads');
      const w = new Worker(\`
        const T = require(${JSON.stringify(DIST)});
        const { parentPort } = require('node:worker_threads');
        for (let i = 0; i < 50; i++) T.spawn(() => { try { T.blockOn(new Promise(() => {})); } finally { parentPort.postMessage('finally ran'); } });
        setInterval(() => {}, 1000); // keeps the worker alive: only terminate() ends it
        const iv = setInterval(() => {
          if (T.stats().liveTasklets < 50) return;
          clearInterval(iv);
          parentPort.postMessage('ready ' + T.stats().liveTasklets);
        }, 5);
      \`, { eval: true });
      w.on('message', async (m) => {
        console.log(m);
        if (m.startsWith('ready')) {
          const code = await w.terminate();
          console.log('terminated', code);
          T.spawn(() => { T.sleep(5); return 'main still works'; }).result.then(console.log);
        }
      });
    `);
    expectClean(r);
    expect(r.stdout).toContain('ready 50');
    expect(r.stdout).toContain('terminated 1');
    expect(r.stdout).toContain('main still works');
    expect(r.stdout).not.toContain('finally ran');
  });

  it('several workers run their own tasklets at once and exit by themselves', () => {
    const r = runChild(`
      const { Worker } = require('node:worker_threads');
      const body = \`
        const T = require(${JSON.stringify(DIST)});
        const { parentPort, workerData } = require('node:worker_threads');
        let n = 0;
        const ts = [];
        for (let i = 0; i < 20; i++) ts.push(T.spawn(() => { for (let j = 0; j < 50; j++) { T.schedule(); n++; } T.sleep(5); return n; }));
        T.spawn(() => T.blockOn(new Promise(() => {})));
        Promise.all(ts.map((t) => t.result)).then(() => parentPort.postMessage(workerData + ':' + n));
      \`;
      let exited = 0;
      for (let i = 0; i < 4; i++) {
        const w = new Worker(body, { eval: true, workerData: i });
        w.on('message', (m) => console.log(m));
        w.on('exit', (code) => { exited++; if (exited === 4) console.log('all exited'); });
      }
    `);
    expectClean(r);
    for (let i = 0; i < 4; i++) expect(r.stdout).toContain(`${i}:1000`);
    expect(r.stdout).toContain('all exited');
  });

  it('process.exit() from a tasklet in a worker ends only the worker', () => {
    const r = runChild(`
      const { Worker } = require('node:worker_threads');
      const w = new Worker(\`
        const T = require(${JSON.stringify(DIST)});
        for (let i = 0; i < 10; i++) T.spawn(() => T.blockOn(new Promise(() => {})));
        T.spawn(() => { T.sleep(5); process.exit(7); });
      \`, { eval: true });
      w.on('exit', (code) => console.log('worker exit', code));
    `);
    expectClean(r);
    expect(r.stdout.trim()).toBe('worker exit 7');
  });
});

describe('garbage collection', () => {
  const stressBody = `
    const N = 40, ROUNDS = 60;
    const ts = [];
    for (let i = 0; i < N; i++) {
      ts.push(T.spawn(() => {
        const held = { id: i, list: Array.from({ length: 50 }, (_, k) => ({ k, s: 'v' + k + '-' + i })) };
        const map = new Map([[i, held]]);
        for (let r = 0; r < ROUNDS; r++) {
          if (r % 3 === 0) T.schedule();
          else if (r % 3 === 1) T.blockOn(Promise.resolve().then(() => r));
          else T.sleep(0);
          const junk = Array.from({ length: 200 }, (_, k) => ({ k }));
          if (junk.length !== 200) throw new Error('junk');
          for (let k = 0; k < 50; k++) if (held.list[k].s !== 'v' + k + '-' + i) throw new Error('corrupt ' + i);
          if (map.get(i) !== held) throw new Error('map corrupt');
        }
        return held.id;
      }));
    }
    Promise.all(ts.map((t) => t.result)).then((ids) => console.log('ok', ids.reduce((a, b) => a + b, 0)));
  `;

  it('objects held across switches survive --stress-compaction --gc-interval=300', () => {
    const r = runChild(stressBody, { flags: ['--stress-compaction', '--gc-interval=300'], timeoutMs: 120_000 });
    expectClean(r);
    expect(r.stdout.trim()).toBe(`ok ${(39 * 40) / 2}`);
  });

  it('fetch (which uses wasm) from 20 tasklets while 20 others are suspended, under --gc-interval', () => {
    const r = runChild(
      `
      const http = require('node:http');
      const server = http.createServer((req, res) => res.end('hello ' + req.url));
      server.listen(0, '127.0.0.1', async () => {
        const { port } = server.address();
        for (let i = 0; i < 20; i++) T.spawn(() => T.blockOn(new Promise(() => {})));
        const ts = [];
        for (let i = 0; i < 20; i++) ts.push(T.spawn(() => {
          const res = T.blockOn(fetch('http://127.0.0.1:' + port + '/' + i));
          return T.blockOn(res.text());
        }));
        const texts = await Promise.all(ts.map((t) => t.result));
        console.log(texts.every((t, i) => t === 'hello /' + i) ? 'all fetched' : 'wrong ' + texts);
        server.close();
      });
    `,
      { flags: ['--gc-interval=500'], timeoutMs: 120_000 },
    );
    expectClean(r);
    expect(r.stdout.trim()).toBe('all fetched');
  });
});
