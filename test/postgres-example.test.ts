// The examples/http-postgres service end to end, against a throwaway
// PostgreSQL server in a temporary directory (skipped, saying so, when the
// server binaries are not installed).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function findBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  for (const v of fs.readdirSync(base).sort().reverse()) {
    const bin = path.join(base, v, 'bin');
    if (fs.existsSync(path.join(bin, 'postgres')) && fs.existsSync(path.join(bin, 'initdb'))) return bin;
  }
  return undefined;
}

const bin = findBin();
if (bin === undefined) console.log('SKIPPED: the PostgreSQL example test (no PostgreSQL server binaries under /usr/lib/postgresql)');
const asRoot = process.getuid?.() === 0;
// Time-limited: a stuck initdb or pg_ctl must fail the test, not hang it.
const opts = { stdio: 'pipe' as const, timeout: 60_000, killSignal: 'SIGKILL' as const };
const run = (cmd: string, args: string[]) =>
  asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], opts) : execFileSync(cmd, args, opts);

describe.skipIf(bin === undefined)('examples/http-postgres', () => {
  let dir = '';
  const port = 20000 + Math.floor(Math.random() * 20000);
  let pool: { end(): Promise<void> } | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasklet-pg-'));
    if (asRoot) execFileSync('chown', ['postgres', dir]);
    run(path.join(bin!, 'initdb'), ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
    run(path.join(bin!, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-w', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    if (dir) {
      spawnSync(
        asRoot ? 'runuser' : path.join(bin!, 'pg_ctl'),
        asRoot
          ? ['-u', 'postgres', '--', path.join(bin!, 'pg_ctl'), '-D', path.join(dir, 'data'), '-m', 'fast', 'stop']
          : ['-D', path.join(dir, 'data'), '-m', 'fast', 'stop'],
        { timeout: 60_000, killSignal: 'SIGKILL' },
      );
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves notes from PostgreSQL with blocking handlers', async () => {
    const { Pool } = await import('pg');
    const p = new Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 10 });
    pool = p;
    const example = await import('../examples/http-postgres/server.js');
    const { createServer, migrate } = (example as { default?: typeof example }).default ?? example;
    await migrate(p);
    const server = createServer(p);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${base}/notes`, { method: 'POST', body: JSON.stringify({ text: `note ${i}` }) }).then(async (r) => [r.status, await r.json()]),
        ),
      );
      expect(created.every(([s]) => s === 201)).toBe(true);
      const one = created[7][1] as { id: number; text: string };
      const got = await fetch(`${base}/notes/${one.id}`);
      expect(got.status).toBe(200);
      expect(await got.json()).toEqual(one);
      expect(await (await fetch(`${base}/notes`)).json()).toEqual({ count: 20 });
      expect((await fetch(`${base}/notes/999999`)).status).toBe(404);
      expect((await fetch(`${base}/notes`, { method: 'POST', body: '{"text":1}' })).status).toBe(400);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
