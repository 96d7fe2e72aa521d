// `node -r tasklet/fibers/register app.js`: require('fibers') and
// require('fibers/future') (and `import` of them) resolve to tasklet/fibers,
// in this process and in the Node child processes it starts.
import Module from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const cjsDir = __dirname;
const esmDir = path.join(__dirname, '..', '..', 'esm', 'fibers');

/** The module names node-fibers users load, and the file of ours each one means. */
const targets: Record<string, string> = {
  fibers: 'index',
  'fibers/fibers': 'index',
  'fibers/fibers.js': 'index',
  'fibers/future': 'future-index',
  'fibers/future.js': 'future-index',
};

type Resolve = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const M = Module as unknown as { _resolveFilename: Resolve & { __taskletFibers?: boolean } };

// CommonJS: every Node version we support.
if (!M._resolveFilename.__taskletFibers) {
  const original = M._resolveFilename;
  const hooked: Resolve & { __taskletFibers?: boolean } = function (this: unknown, request, parent, isMain, options) {
    const target = targets[request];
    if (target !== undefined) return path.join(cjsDir, `${target}.js`);
    return original.call(this, request, parent, isMain, options);
  };
  hooked.__taskletFibers = true;
  M._resolveFilename = hooked;
  registerEsm();
  inheritToChildren();
}

/**
 * ES modules: `import Fiber from 'fibers'` (module.registerHooks where Node
 * has it, else module.register). registerHooks sees require() too: a
 * require gets the CommonJS file, an import the ES module.
 */
function registerEsm(): void {
  const esm: Record<string, string> = {};
  const cjs: Record<string, string> = {};
  for (const [name, file] of Object.entries(targets)) {
    esm[name] = pathToFileURL(path.join(esmDir, `${file}.mjs`)).href;
    cjs[name] = pathToFileURL(path.join(cjsDir, `${file}.js`)).href;
  }
  type Context = { conditions?: readonly string[] };
  const mod = Module as unknown as {
    registerHooks?: (hooks: { resolve: (s: string, c: Context, next: (s: string, c: Context) => unknown) => unknown }) => void;
    register?: (specifier: string, parentURL?: string, options?: { data: unknown }) => void;
  };
  if (typeof mod.registerHooks === 'function') {
    mod.registerHooks({
      resolve: (specifier, context, next) => {
        if (esm[specifier] === undefined) return next(specifier, context);
        const url = context.conditions?.includes('require') ? cjs[specifier] : esm[specifier];
        return { url, shortCircuit: true };
      },
    });
  } else if (typeof mod.register === 'function') {
    const hook =
      'let urls = {}; export function initialize(d) { urls = d; } ' +
      'export function resolve(s, c, next) { return urls[s] !== undefined ? { url: urls[s], shortCircuit: true } : next(s, c); }';
    mod.register(`data:text/javascript,${encodeURIComponent(hook)}`, undefined, { data: esm });
  }
}

/**
 * Loaded with -r/--require (or --import) on the command line: add it to NODE_OPTIONS so
 * that the Node processes this one starts (child_process, cluster) load it too.
 */
function inheritToChildren(): void {
  const self = path.join(cjsDir, 'register.js');
  const given = process.execArgv.some((a, i, all) => {
    const eq = /^--(?:require|import)=/.exec(a);
    const value = eq !== null ? a.slice(eq[0].length) : ['-r', '--require', '--import'].includes(a) ? all[i + 1] : undefined;
    return value !== undefined && /fibers[\\/]register/.test(value);
  });
  const options = process.env.NODE_OPTIONS ?? '';
  if (!given || options.includes(self) || /fibers[\\/]register/.test(options)) return;
  process.env.NODE_OPTIONS = `${options} --require "${self}"`.trim();
}
