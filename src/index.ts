// multiprocessing-ts: Python's multiprocessing for Node.js. The one public entry point.
// Layers (one folder each): core (shared arena + wait/wake), codec (values across the
// boundary), targets (functions across the boundary), spawn (start methods), process
// (Process, contexts, runtime), sync (locks and shared values built on core).
import { cpus } from 'node:os';
import { callable } from './util/callable.js';
import { Process as ProcessClass } from './process/process.js';
import { checkStartMethod, getStartMethod } from './process/context.js';
import { runtime, type StartMethod } from './process/runtime.js';
import { warmSpare } from './spawn/process.js';

export * from './errors.js';
export { registerClass } from './codec/codec.js';
export { wait } from './process/waitable.js';
export { currentProcess, parentProcess, activeChildren, type ProcessOptions, type ParentProcess } from './process/process.js';
export { getAllStartMethods, getStartMethod, setStartMethod } from './process/context.js';
export { logToStderr } from './process/runtime.js';
export { levels as LOG_LEVELS, Logger } from './util/logger.js';
export type { StartMethod } from './process/runtime.js';
export type { TargetRef } from './targets/describe.js';
import { logger } from './util/logger.js';

export const Process = callable(ProcessClass);
export type Process = ProcessClass;

export function getLogger(): typeof logger {
  return logger;
}
export function cpuCount(): number {
  return cpus().length;
}
export function isMainProcess(): boolean {
  return runtime.isMain;
}

/** A context: every factory of the package, bound to one start method. */
export interface Context {
  readonly startMethod: StartMethod;
  getStartMethod(): StartMethod;
  Process: typeof Process;
}

const contexts = new Map<StartMethod, Context>();
export function getContext(method?: StartMethod | null): Context {
  const m = method == null ? getStartMethod()! : checkStartMethod(method);
  let ctx = contexts.get(m);
  if (!ctx) {
    const Bound = class extends ProcessClass {
      static override startMethod: StartMethod | null = m;
    };
    Object.defineProperty(Bound, 'name', { value: 'Process' });
    ctx = { startMethod: m, getStartMethod: () => m, Process: callable(Bound) };
    contexts.set(m, ctx);
  }
  if (m === 'process') warmSpare();
  return ctx;
}
