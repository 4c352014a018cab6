// The core's layering check: the `import ... from './x'` lines of assembly/ (its subfolders
// too) must form no cycle, so that every file depends only on layers below it. Prints the
// first cycle found and exits 1; run by test/structure.test.ts, or alone:
//   node scripts/check-imports.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../assembly/', import.meta.url));

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** file (relative to assembly/, no .ts) → the files it imports or re-exports from. */
export function importGraph(root = ROOT) {
  const graph = new Map();
  for (const file of files(root)) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set();
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
      deps.add(relative(root, resolve(dirname(file), m[1])));
    }
    graph.set(relative(root, file).replace(/\.ts$/, ''), [...deps].sort());
  }
  return graph;
}

/** The first import cycle ([a, b, ..., a]), or null. */
export function findCycle(graph) {
  const state = new Map();   // 1: on the path, 2: done
  const path = [];
  const visit = (n) => {
    state.set(n, 1);
    path.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) return [...path.slice(path.indexOf(d)), d];
      if (!state.has(d)) { const c = visit(d); if (c) return c; }
    }
    path.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) { const c = visit(n); if (c) return c; }
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cycle = findCycle(importGraph());
  if (cycle) {
    console.error(`import cycle in assembly/: ${cycle.join(' → ')}`);
    process.exit(1);
  }
  console.log(`assembly/: ${importGraph().size} files, no import cycle`);
}
