// The `process` start method: each child is a new Node process (child_process.fork). Node has
// no fork(), so a child costs a whole Node boot (~80 ms); like Python's forkserver we keep one
// warm spare booted and waiting for its boot message, so start() pays almost nothing.
import { fork, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { native, nativeUnavailable } from '../core/native.js';
import { bootstrapFile, childExecArgv, type BootMessage, type ChildHandle } from './types.js';

let spare: ChildProcess | null = null;
const live = new Set<{ child: ChildProcess; daemon: boolean }>();

function forkChild(): ChildProcess {
  const child = fork(bootstrapFile, [], {
    execArgv: childExecArgv(),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('error', () => {});
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
  if (!native) throw new Error(`the 'process' start method is unavailable: ${nativeUnavailable}`);
  const child = usable(spare) ? spare : forkChild();
  spare = null;
  boot.env = process.env;
  child.send({ mpts: boot });
  if (!daemon) child.ref();
  const entry = { child, daemon };
  live.add(entry);
  setImmediate(warmSpare);
  let exitcode: number | null = null;
  const codeOf = (code: number | null, signal: NodeJS.Signals | null) =>
    code ?? -(constants.signals[signal as keyof typeof constants.signals] ?? 1);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(entry);
      exitcode ??= codeOf(code, signal);
      resolve(exitcode);
    });
  });
  const pid = child.pid!;
  return {
    exited,
    get exitcode() {
      return exitcode;
    },
    pid: () => pid,
    terminate: () => void (exitcode === null && child.kill('SIGTERM')),
    kill: () => void (exitcode === null && child.kill('SIGKILL')),
    waitSync(ms) {
      if (exitcode !== null) return exitcode;
      const r = native!.pidWait(pid, ms);
      if (r === null) return null;
      if (r.reaped) return (exitcode ??= child.exitCode !== null || child.signalCode !== null ? codeOf(child.exitCode, child.signalCode) : null);
      exitcode = r.code !== undefined ? r.code : -(r.signal ?? 1);
      return exitcode;
    },
  };
}

// At exit, daemonic children and the spare are ended; non-daemonic ones are joined (Python's
// atexit rule), which only matters when the parent calls process.exit() while they still run.
process.on('exit', () => {
  if (spare && spare.exitCode === null) spare.kill('SIGTERM');
  for (const { child, daemon } of live) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    if (daemon) child.kill('SIGTERM');
    else native?.pidWait(child.pid!, -1);
  }
});
