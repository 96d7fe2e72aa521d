// Which engine runs: the fiber engine where its load-time checks pass, the
// strand engine otherwise (a stripped node executable is refused), and
// TASKLET_ENGINE to force one. Each case in a child process.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST } from './helpers';

/** Runs `code` with `node` (default: this one) and the environment `env`; the library is T. */
function run(code: string, env: NodeJS.ProcessEnv, node = process.execPath) {
  const r = spawnSync(node, ['-e', `const T = require(${JSON.stringify(DIST)});\n${code}`], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, TASKLET_ENGINE: undefined, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const show = 'console.log(JSON.stringify([T.stats().engine, T.stats().engineReason ?? null]))';
const work = 'T.spawn(() => { T.sleep(1); return 42; }).result.then((v) => console.log(v));';

describe('the engine', () => {
  it('is the fiber engine on this (official) Node build, unless TASKLET_ENGINE=strand', () => {
    expect(run(show, {}).stdout.trim()).toBe('["fiber",null]');
    expect(run(show, { TASKLET_ENGINE: 'fiber' }).stdout.trim()).toBe('["fiber",null]');
    expect(run(show, { TASKLET_ENGINE: 'strand' }).stdout.trim()).toBe('["strand","TASKLET_ENGINE=strand"]');
  });

  it('a TASKLET_ENGINE value that names no engine makes loading throw ERR_INVALID_ENGINE', () => {
    const r = run(show, { TASKLET_ENGINE: 'fibre' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/TaskletError: TASKLET_ENGINE must be 'fiber' or 'strand'.*"fibre"/);
    expect(r.stderr).toMatch(/code: 'ERR_INVALID_ENGINE'/);
  });

  describe('on a stripped node executable (V8 thread_locals not found)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasklet-stripped-'));
    const stripped = path.join(dir, 'node');
    const canStrip = spawnSync('strip', ['--version']).status === 0;
    if (canStrip) {
      fs.copyFileSync(process.execPath, stripped);
      execFileSync('strip', [stripped]);
    } else {
      console.log('SKIPPED: the stripped-executable cases (no `strip` on this machine)');
    }
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it.skipIf(!canStrip)('falls back to strands, says why, and tasklets work', () => {
      const r = run(`${show}; ${work}`, {}, stripped);
      expect(r.stderr).toBe('');
      const [engine, reason] = JSON.parse(r.stdout.split('\n')[0]);
      expect(engine).toBe('strand');
      expect(reason).toMatch(/stripped/);
      expect(r.stdout.split('\n')[1]).toBe('42');
    });

    it.skipIf(!canStrip)('TASKLET_ENGINE=fiber fails loudly there: ERR_ENGINE_UNAVAILABLE with the reason', () => {
      const r = run(show, { TASKLET_ENGINE: 'fiber' }, stripped);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/TaskletError: TASKLET_ENGINE=fiber, but the fiber engine cannot run in this Node: the executable is stripped/);
      expect(r.stderr).toMatch(/code: 'ERR_ENGINE_UNAVAILABLE'/);
    });
  });
});
