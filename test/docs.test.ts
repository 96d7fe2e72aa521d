// The examples of README.md, docs/api.md, docs/http.md, docs/from-gevent.md and docs/from-fibers.md run as shown (and
// threads.md's in docs-threads.test.ts): each ```ts block is compiled to an
// ES module (types stripped by TypeScript) and run from the repository root
// in a child process with a time limit; `import 'tasklet'` resolves to this
// package by its own name.
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const runDir = path.join(root, '.docs-run');

/** The ```ts blocks of a markdown file. */
function examples(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Milliseconds from the last output to the process's exit. */
  exitLag: number;
}

function runExample(name: string, source: string, timeoutMs = 20_000): Promise<Run> {
  fs.mkdirSync(runDir, { recursive: true });
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = path.join(runDir, `${name}.mjs`);
  fs.writeFileSync(file, js);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let last = Date.now();
    child.stdout.on('data', (d) => {
      stdout += d;
      last = Date.now();
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      last = Date.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut: signal === 'SIGKILL', exitLag: Date.now() - last });
    });
  });
}

afterAll(() => fs.rmSync(runDir, { recursive: true, force: true }));

describe('docs/api.md examples', () => {
  const [imports, ...rest] = examples('docs/api.md');
  const prelude = `${imports}\nconst log = console.log;\n`;
  // What each example prints, in order (the examples' comments say so).
  const expected = [
    '42\n',
    't1\nt2\n',
    'b runs\na again\n',
    'cleanup\n',
    '0 true\nfinally\n',
    'hello\n',
    `${fs.readFileSync(path.join(root, 'package.json'), 'utf8').length}\n`,
    'hello\n',
    'true false\n1\n{ ok: false }\n',
    '1\n2\n3\n',
    'handling job 1\n',
    // Timeouts, joins and synchronisation
    'timed out after 50 ms\n0\n',
    'true\n',
    'false true\n',
    'false\ncleanup 1\ncleanup 2\ntrue\n',
    'go 1\ngo 2\ntrue true\n',
    '2 2\n',
    '1 1 false\nsecond ran\n',
    '[ 1, 2, 3 ]\n',
    'stopped\nstopped\ntrue\n',
    'main>worker worker>main\n',
    '42\nmain receives (waits), producer sends\n',
  ];
  it('there is one expectation per example', () => expect(rest).toHaveLength(expected.length));
  rest.forEach((source, i) => {
    it(`example ${i + 1} runs as shown and prints what it says`, async () => {
      // An import inside an example goes first, before the shared prelude.
      const own = source.match(/^import .*;$/gm) ?? [];
      const body = source.replace(/^import .*;$/gm, '');
      const r = await runExample(`api-${i + 1}`, `${own.join('\n')}\n${prelude}${body}`);
      expect(r.timedOut).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(expected[i]);
      expect(r.status).toBe(0);
    });
  });
});

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('docs/http.md examples', () => {
  // The servers listen on 8080 as written; the test gives each a free port
  // instead, sends it a request with a body, prints the answer and exits.
  const [, serveExample, endpointExample] = examples('docs/http.md');
  const ask = (port: number) => `
    const answer = await fetch('http://127.0.0.1:${port}/hello', { method: 'POST', body: 'abc' });
    console.log(answer.status, await answer.text());
    process.exit(0);`;

  it('serve(): a handler in blocking style answers', async () => {
    const port = await freePort();
    const r = await runExample('http-serve', serveExample.replace('listen(8080)', `listen(${port})`) + ask(port));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('200 tasklet got 3 bytes\n\n');
    expect(r.status).toBe(0);
  });

  it('Endpoint: tasklets that accept() answer', async () => {
    const port = await freePort();
    const r = await runExample('http-endpoint', endpointExample.replace('listen(8080)', `listen(${port})`) + ask(port));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('200 you sent 3 bytes to /hello\n');
    expect(r.status).toBe(0);
  });
});

describe('docs/from-gevent.md examples', () => {
  const [queue, stackless] = examples('docs/from-gevent.md');

  it('the Queue port prints what its comments say', async () => {
    const r = await runExample('from-gevent-1', queue);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('0 1 2 3 4 5\ntrue false\na false\n');
    expect(r.status).toBe(0);
  });

  it('the switch()/pending kill/callback example prints what its comments say', async () => {
    const r = await runExample('from-gevent-2', stackless);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('main>a a>b b>a a>main\nbalance 0\nwaiter cleaned up\n');
    expect(r.status).toBe(0);
  });
});

describe('README.md examples', () => {
  const [first, second] = examples('README.md');

  it('the first example runs, kills its sleeper, and exits well under a second after its last output', async () => {
    const r = await runExample('readme-1', first);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/tasklet \d+: package\.json has \d+ lines/);
    // The sleeper is killed 10 ms in, before or after the workers finish.
    expect(r.stdout).toMatch(/^killed$/m);
    expect(r.stdout).toMatch(/^\[ 1, 1, 1 \]$/m);
    expect(r.exitLag).toBeLessThan(1_000);
  });

  it('the producer/consumer example prints 4950', async () => {
    const r = await runExample('readme-2', second);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('4950\n');
    expect(r.status).toBe(0);
  });
});

describe('docs/from-fibers.md examples', () => {
  const expected = [
    'main goes on while the fiber waits\npackage.json read\nboth waited 15\n',
    'undefined\n106\n',
  ];
  const sources = examples('docs/from-fibers.md');
  it('there is one expectation per example', () => expect(sources).toHaveLength(expected.length));
  sources.forEach((source, i) => {
    it(`example ${i + 1} runs as shown and prints what it says`, async () => {
      const r = await runExample(`from-fibers-${i + 1}`, source);
      expect(r.timedOut).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(expected[i]);
      expect(r.status).toBe(0);
    });
  });
});
