// The `process` start method: each child is a new Node process (child_process.fork). Node has
// no fork(), so a child costs a whole Node boot (~80 ms); like Python's forkserver we keep one
// warm spare booted and waiting for its boot message, so start() pays almost nothing.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { native, needNative } from '../core/native.js';
import { core } from '../core/core.js';
import { builtin } from '../util/builtins.js';
import { bootstrapFile, childExecArgv, recordExit, SPARE_READY, ST_CODE, ST_STATE, STATE_EXITED, whenRecorded, type BootMessage, type ChildHandle } from './types.js';
import { nonDaemonicChild } from './atexit.js';

let spare: ChildProcess | null = null;
/** Spares that have said they are booted. */
const ready = new WeakSet<ChildProcess>();
const live = new Set<{ child: ChildProcess; daemon: boolean; pidfd: number }>();

function forkChild(): ChildProcess {
  const child = builtin('child_process').fork(bootstrapFile, [], {
    execArgv: childExecArgv(),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('error', () => {});
  child.on('message', (m) => {
    if (m === SPARE_READY) ready.add(child);
  });
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  return child;
}

function usable(c: ChildProcess | null): c is ChildProcess {
  return !!c && c.connected && c.exitCode === null && c.signalCode === null;
}

/** Boots the spare now (a context for 'process' calls this, so the first start() is warm too). */
export function warmSpare(): void {
  if (!native || usable(spare)) return;
  spare = forkChild();
}

export function startProcess(boot: BootMessage, daemon: boolean): ChildHandle {
  const n = needNative();
  const taken = usable(spare) ? spare : null;
  spare = null;
  const child = taken ?? forkChild();
  boot.env = process.env;
  child.send({ mpts: boot });
  if (!daemon) child.ref();
  const pid = child.pid!;
  const entry = { child, daemon, pidfd: n.pidOpen(pid) };
  live.add(entry);
  const ended = daemon ? () => {} : nonDaemonicChild();
  // The next spare boots when this child ends, or now if starts come back to back (thread.ts).
  if (!taken || !ready.has(taken)) warmSpare();
  child.once('exit', warmSpare);
  let exitcode: number | null = null;
  let signalSent: number | null = null;
  const codeOf = (code: number | null, signal: NodeJS.Signals | null) =>
    code ?? -(constants.signals[signal as keyof typeof constants.signals] ?? 1);
  const c = core();
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(entry);
      ended();
      n.pidClose(entry.pidfd);
      exitcode ??= codeOf(code, signal);
      if (Atomics.load(c.i32, (boot.status >> 2) + ST_STATE) !== STATE_EXITED) recordExit(c, boot.status, exitcode);
      resolve(exitcode);
    });
    // Done when the child has recorded its exit (see whenRecorded); one we signal waits for the OS.
    void whenRecorded(c, boot.status).then((code) => {
      if (signalSent !== null) return;
      exitcode ??= code;
      resolve(exitcode);
    });
  });
  // libuv reaped the child and the kernel (< 6.15) kept no status for us: the child's own
  // record of its exit code, or the signal we sent it.
  const reapedCode = () => {
    const base = boot.status >> 2, i32 = c.i32;
    if (Atomics.load(i32, base + ST_STATE) === STATE_EXITED) return Atomics.load(i32, base + ST_CODE);
    return signalSent !== null ? -signalSent : -1;
  };
  const signal = (name: 'SIGTERM' | 'SIGKILL') => {
    if (exitcode !== null) return;
    signalSent ??= constants.signals[name];
    child.kill(name);
  };
  return {
    exited,
    get exitcode() {
      return exitcode;
    },
    pid: () => pid,
    terminate: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    waitSync(ms) {
      if (exitcode !== null) return exitcode;
      const r = n.pidWait(entry.pidfd, ms);
      if (r === null) return null;
      exitcode = r.code !== undefined ? r.code : r.signal !== undefined ? -r.signal : reapedCode();
      return exitcode;
    },
  };
}

// At exit, daemonic children and the spare are ended; non-daemonic ones are joined (Python's
// atexit rule), which only matters when the parent calls process.exit() while they still run.
process.on('exit', () => {
  if (spare && spare.exitCode === null) spare.kill('SIGTERM');
  for (const { child, daemon, pidfd } of live) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    if (daemon) child.kill('SIGTERM');
    else native?.pidWait(pidfd, -1);
  }
});
