// Where this package's files are, in both builds (ESM has import.meta.url, the CommonJS bundle
// has __filename): read from a stack frame, which both provide the same way, then walk up to
// the package root.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function thisFile(): string {
  const saved = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[];
    const name = frames[0].getFileName() ?? '';
    return name.startsWith('file:') ? fileURLToPath(name) : name;
  } finally {
    Error.prepareStackTrace = saved;
  }
}

function findRoot(from: string): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'multiprocessing-ts') return dir;
  }
  throw new Error(`multiprocessing-ts: cannot find the package root above ${from}`);
}

/** The file this code runs from: every path of the package is derived from it. */
export const selfFile = thisFile();
/** The package root (holds package.json and build/). */
export const packageRoot = findRoot(selfFile);
/** The ESM build, which children always boot from. */
export const esmDir = join(packageRoot, 'dist', 'esm');
