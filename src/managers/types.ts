// The typeids a server can make: SyncManager's built-in ones (Python's list, dict, Namespace,
// Value, Array and the synchronization types) and those registered on a BaseManager subclass
// (a class or factory exported from a module, shipped by reference like a Process target).
// What a proxy may call is decided here, once per type: the public methods (own and inherited,
// not `_`-prefixed, not `constructor`) unless `exposed` says otherwise.
import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { Semaphore, BoundedSemaphore } from '../sync/semaphore.js';
import { Condition } from '../sync/condition.js';
import { Event } from '../sync/event.js';
import { Barrier } from '../sync/barrier.js';
import { Queue, JoinableQueue } from '../queues/queue.js';
import type { TargetSpec } from '../targets/describe.js';
import { loadTarget } from '../targets/load.js';
import { decode } from '../codec/codec.js';
import type { Token } from './protocol.js';
import { ManagedPool, POOL_BY_REFERENCE } from './pool-proxy.js';
import { PyArray, PyDict, PyList, PyNamespace, PyValue } from './pyobjects.js';

/** The lock under each managed Condition (given back when its holder dies). */
export const conditionLocks = new WeakMap<object, Lock | RLock>();

export type Factory = (...args: unknown[]) => unknown;

/** What the server knows of a typeid. */
export interface TypeInfo {
  typeid: string;
  /** null: the typeid exists for methodToTypeid results only (Python's callable=None). */
  make: Factory | null;
  /** null: every public method of the object made. */
  exposed: readonly string[] | null;
  methodToTypeid: Readonly<Record<string, string>>;
  /** The object lives in shared memory: family proxies use it directly. */
  local?: boolean;
  /** Its holds are given back when a client goes (locks, semaphores). */
  owned?: boolean;
  /** Methods that take a function by reference: members of the server's family only. */
  byReference?: readonly string[];
  /** Whether these constructor arguments carry a function by reference (family only, too). */
  createsByReference?: (args: unknown[]) => boolean;
}

/** A registration as it travels to a server that start() launches. */
export interface TypeSpec {
  typeid: string;
  callable: TargetSpec | null;
  exposed: string[] | null;
  methodToTypeid: Record<string, string>;
}

const ACQ = ['acquire', 'release'];
const QUEUE = ['put', 'get', 'putNowait', 'getNowait', 'qsize', 'empty', 'full'];
const info = (typeid: string, make: Factory, exposed: readonly string[] | null, extra: Partial<TypeInfo> = {}): TypeInfo =>
  ({ typeid, make, exposed, methodToTypeid: {}, ...extra });

export const syncTypes: readonly TypeInfo[] = [
  info('dict', (init) => new PyDict(init as never), null),
  info('list', (init) => new PyList(init as never), null),
  info('Namespace', (init) => new PyNamespace(init as never), null),
  info('Value', (tc, v) => new PyValue(String(tc), v), null),
  info('Array', (tc, sv) => new PyArray(String(tc), sv as never), null),
  info('Lock', () => new Lock(), ACQ, { local: true, owned: true }),
  info('RLock', () => new RLock(), ACQ, { local: true, owned: true }),
  info('Semaphore', (v) => new Semaphore((v as number) ?? 1), [...ACQ, 'getValue'], { local: true, owned: true }),
  info('BoundedSemaphore', (v) => new BoundedSemaphore((v as number) ?? 1), [...ACQ, 'getValue'], { local: true, owned: true }),
  info('Condition', (lock) => {
    const l = conditionLock(lock);
    const c = new Condition(l);
    conditionLocks.set(c, l);
    return c;
  }, [...ACQ, 'wait', 'notify', 'notifyAll'], { local: true, owned: true }),
  info('Event', () => new Event(), ['isSet', 'set', 'clear', 'wait'], { local: true }),
  info('Barrier', async (parties, action, timeout) => new Barrier(parties as number, action == null ? null : await loadTarget(action as TargetSpec), timeout as number | null | undefined),
    ['wait', 'reset', 'abort', 'parties', 'nWaiting', 'broken'], { local: true, createsByReference: (a) => a[1] != null }),
  info('Pool', (o) => new ManagedPool(o as Record<string, unknown> | null), ['apply', 'map', 'starmap', 'close', 'terminate', 'join'],
    { byReference: POOL_BY_REFERENCE, createsByReference: (a) => (a[0] as { initializer?: unknown } | null)?.initializer != null }),
  info('Queue', (n) => new Queue((n as number) ?? 0), QUEUE, { local: true }),
  info('JoinableQueue', (n) => new JoinableQueue((n as number) ?? 0), [...QUEUE, 'taskDone', 'join'], { local: true }),
];

/**
 * The lock of Manager.Condition(lock): a managed Lock or RLock (its proxy arrives here as a
 * proxy of this server: the object itself is in its token), or a new RLock.
 */
function conditionLock(lock: unknown): Lock | RLock {
  if (lock == null) return new RLock();
  if (lock instanceof Lock || lock instanceof RLock) return lock;
  const local = (lock as { _token?: Token })._token?.local;
  const obj = local ? (decode(local) as unknown[])[0] : null;
  if (obj instanceof Lock || obj instanceof RLock) return obj;
  throw new TypeError(`Manager.Condition(lock): expected a managed Lock or RLock (or null), got ${(lock as object)?.constructor?.name ?? typeof lock}`);
}

/** The public methods of an object: what a proxy may call by default. */
export function publicMethods(obj: object): string[] {
  const out = new Set<string>();
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k.startsWith('_') || k === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === 'function') out.add(k);
    }
  }
  return [...out];
}

/** A name that is never callable, whatever `exposed` says. */
export function refusedName(name: string): boolean {
  return name.startsWith('_') || name === 'constructor' || name in Object.prototype || name === 'then';
}
