// The first code a child runs, under either start method. A child is started as a spare: it
// boots Node, carries the parent's loaders in (Node 20 does not apply --import to workers) and
// loads this package, all before it is needed; then it waits for its boot message (a worker
// message for a thread, the first IPC message for a process) and hands over to runChild.
// A process child ends when its parent does: it never outlives the family.
import { readFileSync, writeSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { core, setChildBoot, type Core } from '../core/core.js';
import { runChild } from '../process/child.js';
import { adoptBoot } from '../process/runtime.js';
// The whole package, loaded while the spare waits (one chunk of the build, shared with the
// entry a target module imports, so it is the same instance).
import '../index.js';
import { loadersOf, recordExit, SPARE_READY, type Loader, type BootMessage } from './types.js';

/**
 * A worker's stdout/stderr normally travel through the parent thread's event loop, so a
 * child that prints could not finish while its parent blocks in joinSync(). Children of
 * this package write to the process's own descriptors instead, synchronously and in order.
 */
function writeStdioDirectly(): void {
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      const done = typeof encoding === 'function' ? encoding : cb;
      let data = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk;
      while (data.length) {
        try {
          data = data.subarray(writeSync(fd, data));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        }
      }
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as typeof stream.write;
  }
}

function receive(): Promise<BootMessage> {
  if (!isMainThread) {
    const given = (workerData as { mpts?: BootMessage }).mpts;
    if (given) return Promise.resolve(given);
    return new Promise((resolve) => parentPort!.once('message', (m: { mpts: BootMessage }) => resolve(m.mpts)));
  }
  return new Promise<BootMessage>((resolve) => {
    process.once('message', (m: { mpts: BootMessage }) => resolve(m.mpts));
  });
}

interface TsxPackage {
  exports: Record<string, { import: { default: string } }>;
}

async function loadLoaders(loaders: Loader[], cwd: string): Promise<void> {
  const require = createRequire(join(cwd, 'noop.js'));
  for (const { kind, specifier } of loaders) {
    let resolved = specifier;
    try {
      resolved = require.resolve(specifier);
    } catch {
      /* a URL or something only import() resolves */
    }
    if (kind === 'require') {
      require(resolved);
      continue;
    }
    if (/[\\/]node_modules[\\/]tsx[\\/]/.test(resolved) || specifier === 'tsx') {
      // tsx refuses to be registered as hooks; its API registers itself in this thread.
      const pkgFile = require.resolve('tsx/package.json');
      const entry = (JSON.parse(readFileSync(pkgFile, 'utf8')) as TsxPackage).exports['./esm/api'].import.default;
      const api = (await import(pathToFileURL(join(dirname(pkgFile), entry)).href)) as { register(): void };
      api.register();
      continue;
    }
    const url = resolved.startsWith('/') ? pathToFileURL(resolved).href : resolved;
    const mod = (await import(url)) as { resolve?: unknown; load?: unknown };
    // A module of loader hooks (what --loader takes) only acts once registered.
    if (typeof mod.resolve === 'function' || typeof mod.load === 'function') register(url, pathToFileURL(cwd + '/'));
  }
}

function bootFailed(boot: BootMessage, e: unknown, c: Core): never {
  // Say so as the child would have, and record the exit for a parent blocked in joinSync().
  writeSync(2, `Process ${boot.proc.name}:\n${e instanceof Error ? e.stack : String(e)}\n`);
  recordExit(c, boot.status, 1);
  process.exit(1);
}

if (isMainThread) process.on('disconnect', () => process.exit(1));
else writeStdioDirectly();

// Before the boot message: everything that does not depend on it.
let preloadError: unknown = null;
try {
  // A worker needs the parent's loaders imported by hand; a process got them from execArgv.
  if (!isMainThread) await loadLoaders(loadersOf(process.execArgv), process.cwd());
} catch (e) {
  preloadError = e;
}
// The parent learns that this spare is warm (a start() that finds it still booting knows that
// starts come back to back, and boots the next spare at once).
// (A parent that has already exited is no error: the spare ends on 'disconnect'.)
if (isMainThread) process.send?.(SPARE_READY, undefined, {}, () => {});
else parentPort!.postMessage(SPARE_READY);

const boot = await receive();
setChildBoot(boot);
// The environment of start(), not of the moment the warm spare was made (a worker's
// process.env is its own copy, so this is right for both start methods).
if (boot.env) {
  for (const k of Object.keys(process.env)) if (!(k in boot.env)) delete process.env[k];
  Object.assign(process.env, boot.env);
}
if (isMainThread) {
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
  if (process.cwd() !== boot.cwd) process.chdir(boot.cwd);
}
if (preloadError) bootFailed(boot, preloadError, core());
adoptBoot(boot.proc);
await runChild(boot);
