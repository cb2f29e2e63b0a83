// Who this thread/process is within its family: current process identity (name, pid, authkey,
// Python's _identity counter for child names), its parent, the default start method, and
// the live children. A child learns all of it from its boot message.
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { childBoot } from '../core/core.js';
import { native } from '../core/native.js';
import { logger } from '../util/logger.js';

export type StartMethod = 'thread' | 'process';

export interface BootIdentity {
  name: string;
  authkey: Uint8Array;
  identity: number[];
  daemon: boolean;
  startMethod: StartMethod;
  logLevel: number | null;
  parent: { name: string; pid: number };
}

/** The process number a child shows as `pid`: the OS pid, or under `thread` the thread's OS id. */
export function ownPid(): number {
  if (threadId === 0) return process.pid;
  return native ? native.gettid() : threadPid(process.pid, threadId);
}
export function threadPid(osPid: number, tid: number): number {
  return osPid * 100000 + tid;
}

const boot = childBoot() as (ReturnType<typeof childBoot> & { proc?: BootIdentity }) | undefined;

export const runtime = {
  isMain: !boot?.proc,
  name: boot?.proc?.name ?? 'MainProcess',
  pid: boot?.proc ? ownPid() : process.pid,
  authkey: boot?.proc ? Buffer.from(boot.proc.authkey) : randomBytes(32),
  identity: boot?.proc?.identity ?? ([] as number[]),
  daemon: boot?.proc?.daemon ?? false,
  parent: boot?.proc?.parent ?? null,
  counter: 0,
  startMethod: (boot?.proc?.startMethod ?? null) as StartMethod | null,
  startMethodSetExplicitly: false,
};

if (boot?.proc && boot.proc.logLevel !== null) {
  logger.setLevel(boot.proc.logLevel);
  logger.attach(true, () => runtime.name);
} else {
  logger.attach(false, () => runtime.name);
}

export function logToStderr(level?: number | string): typeof logger {
  if (level !== undefined) logger.setLevel(level as never);
  logger.attach(true, () => runtime.name);
  return logger;
}
