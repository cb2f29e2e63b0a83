// Who this thread/process is within its family: current process identity (name, pid, authkey,
// Python's _identity counter for child names), its parent, the default start method, and
// the live children. A child learns all of it from its boot message.
import { threadId } from 'node:worker_threads';
import { childBoot } from '../core/core.js';
import { native } from '../core/native.js';
import { logger } from '../util/logger.js';
import { builtin } from '../util/builtins.js';
import type { NodeBuffer } from '../util/node-types.js';

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

let authkey: Buffer | null = null;

export const runtime = {
  isMain: true,
  name: 'MainProcess',
  pid: process.pid,
  // Made when first asked for: a child is given its parent's.
  get authkey(): NodeBuffer {
    return (authkey ??= builtin('crypto').randomBytes(32));
  },
  set authkey(key: NodeBuffer) {
    authkey = key;
  },
  identity: [] as number[],
  daemon: false,
  parent: null as { name: string; pid: number } | null,
  counter: 0,
  startMethod: null as StartMethod | null,
  startMethodSetExplicitly: false,
  /** A child importing its target's module (and decoding its arguments): it may not start children yet. */
  bootstrapping: false,
};

/** Makes this thread/process the child described by its boot message. */
export function adoptBoot(proc: BootIdentity): void {
  Object.assign(runtime, {
    isMain: false, name: proc.name, pid: ownPid(), authkey: Buffer.from(proc.authkey), identity: proc.identity,
    daemon: proc.daemon, parent: proc.parent, startMethod: proc.startMethod,
  });
  if (proc.logLevel !== null) {
    logger.setLevel(proc.logLevel);
    logger.attach(true, () => runtime.name);
  }
}

const booted = (childBoot() as { proc?: BootIdentity } | undefined)?.proc;
if (booted) adoptBoot(booted);
logger.attach(logger.handlersAttached, () => runtime.name);

export function logToStderr(level?: number | string): typeof logger {
  if (level !== undefined) logger.setLevel(level as never);
  logger.attach(true, () => runtime.name);
  return logger;
}
