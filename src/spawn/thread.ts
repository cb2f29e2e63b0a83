// The `thread` start method: each child is a worker thread (its own V8 isolate and event loop).
// Exit codes are made to read as under `process`: -15 after terminate(), -9 after kill().
import { Worker } from 'node:worker_threads';
import { core } from '../core/core.js';
import { native } from '../core/native.js';
import { threadPid } from '../process/runtime.js';
import { bootstrapFile, childExecArgv, recordExit, SPARE_READY, ST_CODE, ST_PID, ST_STATE, STATE_BOOTING, STATE_EXITED, whenRecorded, type BootMessage, type ChildHandle } from './types.js';
import { deadlineOf, remaining } from '../util/options.js';
import { nonDaemonicChild } from './atexit.js';

// One warm spare worker, booted (Node, loaders, this package) and waiting for its boot message,
// so that start() does not pay for a worker's boot. Idle, it keeps nobody alive.
interface Spare {
  worker: Worker;
  alive: boolean;
  ready: boolean;
}
let spare: Spare | null = null;

/**
 * A worker rejects V8's process-wide flags in execArgv (ERR_WORKER_INVALID_EXEC_ARGV); the heap
 * limits among them become its resourceLimits, the rest are process-wide already.
 */
export function workerOptions(execArgv: string[]): { execArgv: string[]; resourceLimits: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number } } {
  const keep: string[] = [];
  const resourceLimits: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number } = {};
  for (const a of execArgv) {
    const m = /^--(max-old-space-size|max_old_space_size|max-semi-space-size|max_semi_space_size|stack-size|stack_size)=(\d+)$/.exec(a);
    if (m) {
      const n = Number(m[2]);
      if (m[1].startsWith('max-old') || m[1].startsWith('max_old')) resourceLimits.maxOldGenerationSizeMb = n;
      else if (m[1].includes('semi')) resourceLimits.maxYoungGenerationSizeMb = n * 3;
      else resourceLimits.stackSizeMb = Math.max(1, Math.round(n / 1024));
      continue;
    }
    if (refused.has(a.split('=')[0])) continue;
    keep.push(a);
  }
  return { execArgv: keep, resourceLimits };
}

// The other process-wide flags (--trace-gc, --expose-gc, --jitless, ...) are V8's, already in
// force for every thread; Node names those a worker refuses, and they are left out from then on.
const refused = new Set<string>();

function newWorker(): Worker {
  for (;;) {
    try {
      const w = new Worker(bootstrapFile, { workerData: {}, ...workerOptions(childExecArgv()) });
      w.unref();
      return w;
    } catch (e) {
      const flags = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((e as Error).message)?.[1].split(', ') : null;
      if (!flags?.length || flags.every((f) => refused.has(f.split('=')[0]))) throw e;
      for (const f of flags) refused.add(f.split('=')[0]);
    }
  }
}

export function warmThreadSpare(): void {
  if (spare?.alive) return;
  const s: Spare = { worker: newWorker(), alive: true, ready: false };
  spare = s;
  s.worker.once('exit', () => (s.alive = false));
  s.worker.on('message', (m) => {
    if (m === SPARE_READY) s.ready = true;
  });
  s.worker.unref(); // a 'message' listener refs the worker's port again
  s.worker.on('error', () => {});
}

// Non-daemonic children still running when this thread exits are joined first (Python's
// atexit rule, as under `process`): process.exit() in the parent must not cut them short.
const nonDaemonic = new Set<ChildHandle>();
process.on('exit', () => {
  for (const h of nonDaemonic) h.waitSync(-1);
});

export function startThread(boot: BootMessage, daemon: boolean): ChildHandle {
  const taken = spare?.alive ? spare : null;
  spare = null;
  const worker = taken ? taken.worker : newWorker();
  // The spare copied process.env when it was made; the child sees the environment of start().
  boot.env = process.env;
  worker.postMessage({ mpts: boot });
  if (!daemon) worker.ref();
  // The next spare boots when this child ends: booting it beside a running child only slows
  // both on a small machine. But a start() that finds the spare still booting means starts
  // come back to back, and then the next one boots now, beside this one.
  if (!taken?.ready) warmThreadSpare();
  worker.once('exit', warmThreadSpare);
  const c = core();
  const base = boot.status >> 2;
  let forced: number | null = null;
  let exitcode: number | null = null;
  const record = (code: number) => {
    exitcode = code;
    recordExit(c, boot.status, code);
  };
  // Once running, the child prints its own uncaught errors; one raised while it boots (a loader
  // that fails, say) is printed here, as the child would have.
  worker.on('error', (e) => {
    if (Atomics.load(c.i32, base + ST_STATE) === STATE_BOOTING) {
      process.stderr.write(`Process ${boot.proc.name}:\n${e instanceof Error ? e.stack : String(e)}\n`);
    }
  });
  const exited = new Promise<number>((resolve) => {
    worker.once('exit', (code) => {
      if (exitcode === null) record(forced ?? code);
      resolve(exitcode!);
    });
    // Done when the child has recorded its exit; one we end waits for its thread to stop.
    void whenRecorded(c, boot.status).then((code) => {
      if (forced !== null) return;
      exitcode ??= code;
      resolve(exitcode);
    });
  });
  const end = (signal: number) => {
    if (exitcode !== null) return;
    forced = -signal;
    record(forced);
    void worker.terminate();
  };
  let pid = native ? 0 : threadPid(process.pid, worker.threadId);
  const handle: ChildHandle = {
    exited,
    get exitcode() {
      return exitcode;
    },
    pid() {
      // Under the native core the pid is the thread's OS id, which the child reports at boot.
      const deadline = deadlineOf(10_000);
      while (pid === 0) {
        pid = Atomics.load(c.i32, base + ST_PID);
        if (pid !== 0 || Atomics.load(c.i32, base + ST_STATE) === STATE_EXITED) break;
        if (c.wait(base + ST_PID, 0, remaining(deadline)) === 2) break;
      }
      return pid || threadPid(process.pid, worker.threadId);
    },
    terminate: () => end(15),
    kill: () => end(9),
    waitSync(ms) {
      const deadline = deadlineOf(ms);
      for (;;) {
        const state = Atomics.load(c.i32, base + ST_STATE);
        if (state === STATE_EXITED) {
          exitcode ??= Atomics.load(c.i32, base + ST_CODE);
          return exitcode;
        }
        if (c.wait(base + ST_STATE, state, remaining(deadline)) === 2 && Atomics.load(c.i32, base + ST_STATE) !== STATE_EXITED) return null;
      }
    },
  };
  if (!daemon) {
    nonDaemonic.add(handle);
    const ended = nonDaemonicChild();
    void exited.then(() => {
      nonDaemonic.delete(handle);
      ended();
    });
  }
  return handle;
}
