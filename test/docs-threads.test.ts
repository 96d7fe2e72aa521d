// Runs every example in docs/threads.md as shown: each ts/js block is
// transpiled (types stripped) and run as an ES module in a child process
// with a time limit, in a directory where `tasklet` resolves to this repo
// and the blocks that open with `// file: NAME` are written as NAME. A
// comment `prints "X"` in an example means X must appear in its output.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..');
const DOC = path.join(ROOT, 'docs', 'threads.md');

interface Block {
  line: number;
  code: string;
  file: string | undefined;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const fence = /^```(ts|js|mjs|mts)\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(fence)) {
    const code = m[2];
    const file = /^\/\/ file: (\S+)\n/.exec(code)?.[1];
    out.push({ line: markdown.slice(0, m.index).split('\n').length, code, file });
  }
  return out;
}

/** The quoted strings after `prints` in the example's comments: `// prints "a" and "b 1"`. */
function printed(code: string): string[] {
  const out: string[] = [];
  for (const [, rest] of code.matchAll(/\/\/.*?\bprints (.*)$/gm)) for (const [, text] of rest.matchAll(/"([^"]+)"/g)) out.push(text);
  return out;
}

function toModule(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasklet-docs-threads-'));
fs.mkdirSync(path.join(dir, 'node_modules'));
fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'tasklet'), 'dir');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const all = blocks(fs.readFileSync(DOC, 'utf8'));
for (const b of all) if (b.file !== undefined) fs.writeFileSync(path.join(dir, b.file), b.code);
const examples = all.filter((b) => b.file === undefined);

describe('docs/threads.md examples', () => {
  it('has examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  for (const example of examples) {
    it(`the example at line ${example.line} runs as shown and exits by itself`, () => {
      const file = path.join(dir, `example-${example.line}.mjs`);
      fs.writeFileSync(file, toModule(example.code));
      // From another directory than the examples' own: module tasks must not depend on the cwd.
      const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
      fs.symlinkSync(path.join(dir, 'node_modules'), path.join(cwd, 'node_modules'), 'dir');
      const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' });
      const context = `example at docs/threads.md:${example.line}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      expect(r.error, context).toBeUndefined(); // no timeout
      expect(r.status, context).toBe(0);
      expect(r.stderr, context).toBe('');
      for (const text of printed(example.code)) expect(r.stdout, context).toContain(text);
    });
  }
});
