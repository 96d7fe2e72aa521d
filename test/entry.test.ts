import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');

describe('entry points', () => {
  it('import and require give the same scheduler', () => {
    const code = `
      import * as esm from ${JSON.stringify(path.join(root, 'dist/esm/index.mjs'))};
      import def from ${JSON.stringify(path.join(root, 'dist/esm/index.mjs'))};
      import { createRequire } from 'node:module';
      const cjs = createRequire(import.meta.url)(${JSON.stringify(root)});
      const t = esm.spawn(() => esm.getcurrent() === cjs.getcurrent());
      console.log(esm.spawn === cjs.spawn, def.Tasklet === cjs.Tasklet, await t.result);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('true true true');
  });
});
