// Node built-ins that only some calls need, loaded on first use. A child's start-up is what
// Process.start() costs back to back, and each of these takes milliseconds to load (the
// inspector finds target functions in the parent, child_process starts `process` children,
// crypto makes keys and names).
import { createRequire } from 'node:module';
import { selfFile } from './here.js';

interface Builtins {
  crypto: typeof import('node:crypto');
  inspector: typeof import('node:inspector');
  child_process: typeof import('node:child_process');
}

const load = createRequire(selfFile);

export function builtin<K extends keyof Builtins>(name: K): Builtins[K] {
  return load(`node:${name}`) as Builtins[K];
}
