// What a child does once booted: report its pid, load the target (importing its module, which
// re-runs that module's top level: Python's spawn rule), decode its arguments, run it. An
// uncaught error is printed with its stack on stderr, as Python prints a traceback, and the
// child exits with 1.
import { writeSync } from 'node:fs';
import { decode } from '../codec/codec.js';
import { classesLoaded } from '../codec/classes.js';
import { core } from '../core/core.js';
import { recordExit, ST_PID, ST_STATE, STATE_RUNNING, type BootMessage } from '../spawn/types.js';
import { loadTarget, settleLoads } from '../targets/load.js';
import { logger } from '../util/logger.js';
import { currentProcess, Process, setCurrentProcess } from './process.js';
import { runtime } from './runtime.js';

function report(e: unknown): void {
  const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : `uncaught value: ${String(e)}`;
  try {
    writeSync(2, `Process ${runtime.name}:\n${text}\n`);
  } catch {
    /* stderr closed */
  }
}

function fail(e: unknown): never {
  report(e);
  process.exit(1);
}

export async function runChild(boot: BootMessage): Promise<void> {
  const c = core();
  const base = boot.status >> 2;
  Atomics.store(c.i32, base + ST_PID, runtime.pid);
  Atomics.store(c.i32, base + ST_STATE, STATE_RUNNING);
  c.wake(base + ST_PID, 0x7fffffff);
  // The exit code is recorded by the last 'exit' listener, so that the parent's join(), which
  // settles on it, comes after the target's own listeners. One is registered now (for a
  // target that calls process.exit()); once the target has returned, a later one takes over.
  let recordedLate = false;
  const record = (code: number | undefined) => {
    recordExit(c, boot.status, code ?? 0);
    logger.info(`process exiting with exitcode ${code ?? 0}`);
  };
  process.on('exit', (code) => {
    if (!recordedLate) record(code);
  });
  const recordLast = () => {
    recordedLate = true;
    process.on('exit', record);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  logger.info('child process calling self.run()');
  try {
    if (!boot.spec) {
      currentProcess();
      return;
    }
    runtime.bootstrapping = true;
    const fn = await loadTarget(boot.spec);
    if (boot.subclass) {
      const self = Object.create(fn.prototype) as Process;
      Object.assign(self, decode(boot.fields!));
      await settleLoads();
      await classesLoaded();
      Process.adopt(self);
      setCurrentProcess(self);
      runtime.bootstrapping = false;
      await self.run();
    } else {
      const args = decode(boot.args) as unknown[];
      await settleLoads();
      await classesLoaded();
      runtime.bootstrapping = false;
      await fn(...args);
    }
    recordLast();
  } catch (e) {
    fail(e);
  }
}
