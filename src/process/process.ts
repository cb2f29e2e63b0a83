// Process (Python's multiprocessing.process): one child, under either start method, with
// Python's lifecycle and exit codes. Internal state lives in a WeakMap so that a subclass's own
// fields are exactly what gets sent to the child.
import { signalNames } from '../util/signals.js';
import { encode } from '../codec/codec.js';
import { core } from '../core/core.js';
import { ProcessError, ValueError } from '../errors.js';
import { startProcess } from '../spawn/process.js';
import { startThread } from '../spawn/thread.js';
import { STATUS_BYTES, type BootMessage, type ChildHandle } from '../spawn/types.js';
import { describeTarget, type AnyFunction, type TargetRef, type TargetSpec } from '../targets/describe.js';
import { logger } from '../util/logger.js';
import { checkOptions, waitOptions, type WaitOptions } from '../util/options.js';
import { resolveStartMethod } from './context.js';
import { runtime, type StartMethod } from './runtime.js';
import { WAITABLE, type WaitTarget } from './waitable.js';
import type { NodeBuffer } from '../util/node-types.js';
import { within } from '../util/promised.js';

export interface ProcessOptions {
  target?: AnyFunction | TargetRef | null;
  args?: unknown[];
  name?: string;
  daemon?: boolean | null;
}

interface State {
  target: AnyFunction | TargetRef | null;
  args: unknown[];
  name: string;
  daemon: boolean;
  authkey: Buffer;
  identity: number[];
  handle: ChildHandle | null;
  closed: boolean;
  /** the object standing for the running process itself (currentProcess()) */
  self: boolean;
  pid: number | null;
  sentinel: { [WAITABLE](): WaitTarget } | null;
}

const states = new WeakMap<object, State>();
const children = new Set<Process>();

function state(p: Process): State {
  const s = states.get(p);
  if (!s) throw new TypeError('not a Process (was the constructor of a Process subclass run without super()?)');
  return s;
}

/** Python names children after their class; ours and a context's bound Process read 'Process'. */
function classLabel(cls: typeof Process): string {
  return Object.prototype.hasOwnProperty.call(cls, 'startMethod') || !cls.name ? 'Process' : cls.name;
}


export class Process {
  /** The start method this class starts children with; a context's Process sets it. */
  static startMethod: StartMethod | null = null;

  constructor(options: ProcessOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('Process: expected an options object { target?, args?, name?, daemon? }');
    checkOptions(options, ['target', 'args', 'name', 'daemon'], 'Process');
    const { target = null, args = [], name, daemon } = options;
    if (target !== null && typeof target !== 'function' && !(typeof target === 'object' && 'module' in target)) {
      throw new TypeError(`Process: target must be a function or { module, name }, got ${typeof target}`);
    }
    if (!Array.isArray(args)) throw new TypeError(`Process: args must be an array, got ${typeof args}`);
    const identity = [...runtime.identity, ++runtime.counter];
    states.set(this, {
      target, args, identity,
      name: name ?? `${classLabel(new.target)}-${identity.join(':')}`,
      daemon: daemon ?? runtime.daemon,
      authkey: runtime.authkey,
      handle: null, closed: false, self: false, pid: null, sentinel: null,
    });
  }

  /** Runs in the child: calls the target. Subclasses override it. */
  run(): unknown {
    const s = state(this);
    if (typeof s.target === 'function') return s.target(...s.args);
    return undefined;
  }

  start(): void {
    const s = this.checkOpen();
    if (s.handle) throw new ValueError('cannot start a process twice');
    if (s.self) throw new ValueError('cannot start the current process');
    if (runtime.daemon) throw new ValueError('daemonic processes are not allowed to have children');
    if (runtime.bootstrapping) throw new ProcessError(BOOTSTRAPPING);
    const method = resolveStartMethod((this.constructor as typeof Process).startMethod);
    const subclass = Object.getPrototypeOf(this).run !== Process.prototype.run;
    let spec: TargetSpec | null = null;
    if (subclass) spec = describeTarget(this.constructor, `Process subclass ${this.constructor.name}`);
    else if (s.target) spec = describeTarget(s.target, 'target');
    const fields = subclass ? encode({ ...this }, 'this') : null;
    const status = core().alloc(STATUS_BYTES);
    const boot: BootMessage = {
      arena: core().boot(),
      proc: {
        name: s.name, authkey: s.authkey, identity: s.identity, daemon: s.daemon, startMethod: method,
        logLevel: logger.handlersAttached ? logger.level : null,
        parent: { name: runtime.name, pid: runtime.pid },
      },
      status, spec, subclass,
      args: subclass ? encode([], 'args') : encode(s.args, 'args'),
      fields,
      cwd: process.cwd(),
    };
    s.handle = method === 'thread' ? startThread(boot, s.daemon) : startProcess(boot, s.daemon);
    children.add(this);
    void s.handle.exited.then(() => children.delete(this));
    logger.debug(`started ${s.name} (${method})`);
  }

  /**
   * Resolves when the child has ended, or after `timeout` ms (check exitcode); an abort of
   * `signal` rejects with its reason (the child runs on).
   */
  async join(timeout?: number | null | WaitOptions): Promise<void> {
    const s = this.checkOpen();
    if (s.self) throw new ValueError('can only join a child process');
    if (!s.handle) throw new ValueError('can only join a started process');
    const { ms, signal } = waitOptions(timeout, 'join');
    signal?.throwIfAborted();
    if (s.handle.exitcode !== null) return;
    // A daemonic child does not keep this process alive; whoever awaits its join does.
    await within(s.handle.exited, ms, () => undefined, signal);
  }

  /** @internal Settles with the exit code; unlike join(), does not keep this process alive. */
  whenExited(): Promise<number> {
    const s = this.checkOpen();
    if (!s.handle) throw new ValueError('can only wait for a started process');
    return s.handle.exited;
  }

  joinSync(timeout?: number | null | WaitOptions): void {
    const s = this.checkOpen();
    if (s.self) throw new ValueError('can only join a child process');
    if (!s.handle) throw new ValueError('can only join a started process');
    s.handle.waitSync(waitOptions(timeout, 'joinSync').ms);
  }

  isAlive(): boolean {
    const s = this.checkOpen();
    if (s.self) return true;
    return s.handle !== null && s.handle.exitcode === null && s.handle.waitSync(0) === null;
  }

  terminate(): void {
    this.checkOpen().handle?.terminate();
  }

  kill(): void {
    this.checkOpen().handle?.kill();
  }

  close(): void {
    const s = state(this);
    if (s.closed) return;
    if (s.handle && s.handle.exitcode === null && s.handle.waitSync(0) === null) {
      throw new ValueError(`cannot close a process while it is still running; join or terminate ${s.name} first`);
    }
    s.closed = true;
  }

  get pid(): number | null {
    const s = state(this);
    if (s.self) return s.pid;
    return s.handle ? s.handle.pid() : null;
  }
  get ident(): number | null {
    return this.pid;
  }
  get exitcode(): number | null {
    const s = this.checkOpen();
    if (!s.handle) return null;
    return s.handle.exitcode ?? s.handle.waitSync(0);
  }
  get name(): string {
    return state(this).name;
  }
  set name(v: string) {
    if (typeof v !== 'string') throw new TypeError('name must be a string');
    state(this).name = v;
    if (state(this).self) runtime.name = v;
  }
  get daemon(): boolean {
    return state(this).daemon;
  }
  set daemon(v: boolean) {
    if (state(this).handle) throw new ValueError('cannot set daemon on a process that has started');
    state(this).daemon = Boolean(v);
  }
  get authkey(): NodeBuffer {
    return state(this).authkey;
  }
  set authkey(v: Uint8Array | string) {
    state(this).authkey = Buffer.from(v as Uint8Array);
  }
  /** Ready when the process has ended: pass it to mp.wait(). The same object at every read. */
  get sentinel(): { [WAITABLE](): WaitTarget } {
    const s = this.checkOpen();
    if (!s.handle) throw new ValueError('process not started');
    const h = s.handle;
    return (s.sentinel ??= {
      [WAITABLE]: () => ({
        ready: () => h.exitcode !== null || h.waitSync(0) !== null,
        whenReady: (ms, signal) => within(h.exited, ms, () => undefined, signal).then(() => h.exitcode !== null),
      }),
    });
  }

  toString(): string {
    const s = state(this);
    let status = 'initial';
    if (s.self) status = 'started';
    else if (s.handle) {
      const code = this.exitcode;
      status = code === null ? 'started' : code === 0 ? 'stopped' : code < 0 ? `stopped[${signalNames[-code] ?? -code}]` : `stopped exitcode=${code}`;
    }
    return `<${classLabel(this.constructor as typeof Process)}(${s.name}, ${status}${s.daemon ? ' daemon' : ''})>`;
  }

  private checkOpen(): State {
    const s = state(this);
    if (s.closed) throw new ValueError('process object is closed');
    return s;
  }

  /** @internal Makes `obj` the object standing for the running process (currentProcess()). */
  static adopt(obj: object, args: unknown[] = []): void {
    states.set(obj, {
      target: null, args, name: runtime.name, daemon: runtime.daemon, authkey: runtime.authkey,
      identity: runtime.identity, handle: null, closed: false, self: true, pid: runtime.pid, sentinel: null,
    });
  }
}

/** Python's bootstrapping RuntimeError, in our words. */
const BOOTSTRAPPING = `An attempt has been made to start a new process before the current process has finished its bootstrapping phase.

    This probably means that the module defining the child's target starts processes (or a
    Pool) at its top level: the child imports that module again to find its target (as Python's
    spawn does), so the module starts a child, which imports it again, without end.
    Put the code that starts processes under the guard, in the main module:

        if (mp.isMainProcess()) {
          // ... start processes, pools ...
        }`;

let current: Process | null = null;
export function currentProcess(): Process {
  if (!current) {
    current = Object.create(Process.prototype) as Process;
    Process.adopt(current);
  }
  return current;
}
export function setCurrentProcess(p: Process): void {
  current = p;
}

export interface ParentProcess {
  readonly name: string;
  readonly pid: number;
}
export function parentProcess(): ParentProcess | null {
  return runtime.parent ? { ...runtime.parent } : null;
}

export function activeChildren(): Process[] {
  return [...children].filter((p) => p.isAlive());
}
