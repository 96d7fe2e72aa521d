// The package's types as a user's project compiles them: tsc --strict over
// test/types/*.ts under each module resolution TypeScript offers, against the
// built package resolved by its name (as it is once installed).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasklet-types-'));
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'tasklet'));
  fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'));
  for (const f of fs.readdirSync(path.join(__dirname, 'types'))) {
    const text = fs.readFileSync(path.join(__dirname, 'types', f), 'utf8');
    fs.writeFileSync(path.join(dir, f), text);
    // The same file as an ES module (.mts) for the node16/nodenext ESM side.
    fs.writeFileSync(path.join(dir, f.replace(/\.ts$/, '.mts')), text);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const setups: Array<[string, { module: string; moduleResolution: string }]> = [
  ['commonjs + node10', { module: 'commonjs', moduleResolution: 'node10' }],
  ['node16 (CommonJS and ESM files)', { module: 'node16', moduleResolution: 'node16' }],
  ['nodenext (CommonJS and ESM files)', { module: 'nodenext', moduleResolution: 'nodenext' }],
  ['esnext + bundler', { module: 'esnext', moduleResolution: 'bundler' }],
];

describe('types under tsc --strict', () => {
  it.each(setups)('%s: compiles, and every @ts-expect-error is an error', (name, options) => {
    const config = {
      compilerOptions: { ...options, target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      // node10 and bundler have no .mts/.cts distinction worth checking twice.
      include: options.moduleResolution.startsWith('node1') ? ['*.ts', '*.mts'] : ['*.ts'],
    };
    const file = path.join(dir, `tsconfig.${name.split(' ')[0]}.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    const r = spawnSync(process.execPath, [tsc, '-p', file], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 150_000); // tsc takes 4-8 s a configuration on a quiet 2-core machine, several times that when loaded
});
