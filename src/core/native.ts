// Loads the native core (native/, built at `npm install`; native/mpts.c registers the functions
// NativeCore declares). When it cannot load, the reason is kept so that getContext('process')
// can say why and how to fix it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { packageRoot } from '../util/here.js';
import { processUnavailable } from '../errors.js';

export interface Mapped {
  buffer: ArrayBuffer;
  fd: number;
  ino: number;
  address: number;
  size?: number;
}

export type WaitResult = 0 | 1 | 2; // woken, not equal, timed out

export interface NativeCore {
  shmOpen(name: string, create: boolean, size: number): Mapped & { size: number };
  shmUnlink(name: string): void;
  /** The write end of this process's segment tracker pipe (forking the tracker if needed). */
  trackerStart(): number;
  /** Joins another process's tracker through /proc; -1 if it cannot be opened. */
  trackerAttach(pid: number, fd: number): number;
  unmap(buffer: ArrayBuffer, address: number, size: number, fd: number): void;
  arena(size: number, pid?: number, fd?: number, ino?: number): { buffer: ArrayBuffer; fd: number; ino: number } | null;
  arenaReserve(from: number, to: number): void;
  wait(view: Int32Array, index: number, expected: number, timeoutMs: number): WaitResult;
  wake(view: Int32Array, index: number, count: number): number;
  /** weak: the wait does not keep the event loop alive. */
  waitAsync(view: Int32Array, index: number, expected: number, timeoutMs: number, weak?: boolean): Promise<WaitResult>;
  /** Settles this thread's pending waitAsync calls on that word at once (with 1: re-check). */
  waitCancel(view: Int32Array, index: number): void;
  /** A pidfd for a child (CLOEXEC), or -1. */
  pidOpen(pid: number): number;
  pidClose(fd: number): void;
  pidWait(pidfd: number, timeoutMs: number): null | { code?: number; signal?: number; reaped?: boolean };
  gettid(): number;
}

function load(): { native: NativeCore | null; why: string } {
  if (process.env.MPTS_NO_NATIVE) return { native: null, why: 'MPTS_NO_NATIVE is set in the environment' };
  if (process.platform !== 'linux') return { native: null, why: `the native core supports Linux only (this is ${process.platform})` };
  // scripts/build-native.mjs keeps one build per Node ABI; a plain node-gyp build leaves only
  // build/Release (the ABI it was built for is unknown then, so it comes second).
  const perAbi = join(packageRoot, 'build', `node-abi${process.versions.modules}`, 'mpts.node');
  const file = existsSync(perAbi) ? perAbi : join(packageRoot, 'build', 'Release', 'mpts.node');
  try {
    const require = createRequire(join(packageRoot, 'package.json'));
    return { native: require(file) as NativeCore, why: '' };
  } catch (e) {
    const rel = relative(packageRoot, file);
    const failed = join(dirname(perAbi), 'build-error.txt');
    const buildError = existsSync(failed) ? readFileSync(failed, 'utf8').trim() : '';
    if (buildError) return { native: null, why: `the native addon could not be built at install for Node ${process.version} (${buildError})` };
    if (!existsSync(file)) {
      // npm (11.x) skips a dependency's install script unless the project allows it.
      return { native: null, why: `the native addon was never built for Node ${process.version} (no ${rel}): npm skips the install scripts of dependencies it was not told to trust; allow this one with \`npm install-scripts approve multiprocessing-ts\`` };
    }
    return { native: null, why: `the native addon ${rel} did not load in Node ${process.version} (${(e as Error).message.split('\n')[0]})` };
  }
}

const loaded = load();
export const native: NativeCore | null = loaded.native;
/** Why the native core is unavailable, with the fix; '' when it is loaded. */
export const nativeUnavailable: string = loaded.why
  ? `${loaded.why}. The 'process' start method needs it: run \`npm rebuild multiprocessing-ts\` (needs python3, make and a C and C++ compiler) and unset MPTS_NO_NATIVE.`
  : '';

/** The native core, or the error saying why the 'process' start method cannot run without it. */
export function needNative(): NativeCore {
  if (!native) throw processUnavailable(nativeUnavailable);
  return native;
}
