// npm run build: the wasm core (AssemblyScript), then the host API as ESM for Node and for
// browsers (esbuild, the core's bytes inlined), then the .d.ts types (tsc).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const run = (cmd, args) => execFileSync(bin(cmd), args, { stdio: 'inherit' });

run('asc', ['--config', 'asconfig.json', '--target', 'release']);

const common = {
  entryPoints: ['ts/index.ts'],
  bundle: true,
  format: 'esm',
  loader: { '.wasm': 'binary' },
  sourcemap: true,
  logLevel: 'warning',
  external: ['msgpackr-extract'],
  define: { __PROFILE__: 'false' },   // ts/profile.ts: the profile marks are dead code in the library
};
// index.js, and pool-worker.js: the worker pool's bootstrap, next to it (ts/pool-worker.ts)
const builds = [];
for (const entry of ['index', 'pool-worker']) {
  const entryPoints = [`ts/${entry}.ts`];
  builds.push(
    esbuild.build({ ...common, entryPoints, platform: 'node', target: 'node20', outfile: `dist/node/${entry}.js` }),
    esbuild.build({ ...common, entryPoints, platform: 'browser', target: 'es2022', outfile: `dist/browser/${entry}.js`, external: ['node:*', 'msgpackr-extract'] }),
  );
}
// nats.js: the wasm-ipc/nats entry (Node only: it opens TCP connections). The library it builds
// on is imported from ./index.js, not bundled again, so that both entries share one copy of it
// (the same error classes, the same currentCall()). The NATS client stays a dependency.
const mainEntryExternal = {
  name: 'main-entry-external',
  setup(b) { b.onResolve({ filter: /^\.\.\/index$/ }, () => ({ path: './index.js', external: true })); },
};
builds.push(esbuild.build({
  ...common, entryPoints: ['ts/bridge/index.ts'], platform: 'node', target: 'node20', outfile: 'dist/node/nats.js',
  external: ['msgpackr-extract', '@nats-io/*'], plugins: [mainEntryExternal],
}));
// slim.js: the browser build without the inlined core; it fetches wasm-ipc.wasm, copied next
// to it, or the URL given as `module`
const noInlinedCore = {
  name: 'no-inlined-core',
  setup(b) { b.onLoad({ filter: /wasm-ipc\.wasm$/ }, () => ({ contents: 'export default undefined;', loader: 'js' })); },
};
builds.push(esbuild.build({
  ...common, entryPoints: ['ts/index.ts'], platform: 'browser', target: 'es2022', outfile: 'dist/browser/slim.js',
  external: ['node:*', 'msgpackr-extract'], plugins: [noInlinedCore],
}));
await Promise.all(builds);
copyFileSync('build/wasm-ipc.wasm', 'dist/browser/wasm-ipc.wasm');

run('tsc', ['-p', 'tsconfig.json']);
for (const dir of ['node', 'browser']) {
  mkdirSync(`dist/${dir}`, { recursive: true });
  writeFileSync(`dist/${dir}/index.d.ts`, "export * from '../types/index.js';\n");
}
writeFileSync('dist/node/nats.d.ts', "export * from '../types/bridge/index.js';\n");
