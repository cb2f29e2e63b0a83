// `node scripts/check-cycles.mjs [dir]`: fails (exit 1, printing each cycle) when the TypeScript
// modules under `dir` (default src/) import one another in a circle. Type-only imports count too:
// a cycle of types is still two files that cannot be read apart. A small script rather than
// madge: madge's TypeScript peer range excludes the compiler this project builds with.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
const files = readdirSync(root, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => join(root, f));
const importRe = /^\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

/** Each file's imports of other files under root. */
const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (graph.has(target) || files.includes(target)) deps.add(target);
  }
  graph.set(file, deps);
}

// Depth-first search; a grey node met again closes a cycle.
const state = new Map(); // 1: on the stack, 2: done
const stack = [];
const cycles = [];
function visit(file) {
  state.set(file, 1);
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (state.get(dep) === 1) cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
    else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (cycles.length) {
  for (const c of cycles) console.error(`import cycle: ${c.map((f) => relative(process.cwd(), f)).join(' -> ')}`);
  process.exit(1);
}
console.log(`no import cycle among ${files.length} modules under ${relative(process.cwd(), root) || '.'}`);
