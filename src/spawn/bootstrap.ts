// The first code a child runs, under either start method. It receives the boot message
// (workerData for a thread, the first IPC message for a process), carries the parent's
// loaders into the child (Node 20 does not apply --import to workers), and hands over to
// runChild. A process child ends when its parent does: it never outlives the family.
import { createRequire, register } from 'node:module';
import { readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, workerData } from 'node:worker_threads';
import { setChildBoot } from '../core/core.js';
import { ST_CODE, ST_STATE, STATE_EXITED, type BootMessage } from './types.js';

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

async function receive(): Promise<BootMessage> {
  if (!isMainThread) {
    writeStdioDirectly();
    return (workerData as { mpts: BootMessage }).mpts;
  }
  process.on('disconnect', () => process.exit(1));
  const boot = await new Promise<BootMessage>((resolve) => {
    process.once('message', (m: { mpts: BootMessage }) => resolve(m.mpts));
  });
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
  if (boot.env) {
    for (const k of Object.keys(process.env)) if (!(k in boot.env)) delete process.env[k];
    Object.assign(process.env, boot.env);
  }
  if (process.cwd() !== boot.cwd) process.chdir(boot.cwd);
  return boot;
}

interface TsxPackage {
  exports: Record<string, { import: { default: string } }>;
}

async function loadLoaders(boot: BootMessage): Promise<void> {
  // A process child got them from execArgv already; a worker needs them imported by hand.
  if (isMainThread) return;
  const require = createRequire(join(boot.cwd, 'noop.js'));
  for (const { kind, specifier } of boot.loaders) {
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
    // A module of loader hooks (what --loader takes, and what `--import tsx` resolves to)
    // only acts once registered.
    if (typeof mod.resolve === 'function' || typeof mod.load === 'function') register(url, pathToFileURL(boot.cwd + '/'));
  }
}

const boot = await receive();
setChildBoot(boot);
try {
  await loadLoaders(boot);
  await import('../index.js');
} catch (e) {
  // The child cannot even start: say so as it would have, and record the exit for a parent
  // that may be blocked in joinSync().
  writeSync(2, `Process ${boot.proc.name}:\n${e instanceof Error ? e.stack : String(e)}\n`);
  const { core } = await import('../core/core.js');
  const base = boot.status >> 2;
  Atomics.store(core().i32, base + ST_CODE, 1);
  Atomics.store(core().i32, base + ST_STATE, STATE_EXITED);
  core().wake(base + ST_STATE, 0x7fffffff);
  process.exit(1);
}
const { runChild } = await import('../process/child.js');
await runChild(boot);
