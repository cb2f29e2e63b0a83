// multiprocessing-ts: Python's multiprocessing for Node.js. The one public entry point.
// Layers (one folder each): core (shared arena + wait/wake), codec (values across the
// boundary), targets (functions across the boundary), spawn (start methods), process
// (Process, contexts, runtime), sync (locks, conditions, events, barriers on the core),
// shared (Value, Array and their raw forms in the arena, named segments), connection (rings,
// Pipe/Connection), net (Listener/Client: CPython's multiprocessing.connection over
// sockets), queues (Queue, SimpleQueue, JoinableQueue).
import { cpus } from 'node:os';
import { callable } from './util/callable.js';
import { Process as ProcessClass } from './process/process.js';
import { checkStartMethod, getStartMethod } from './process/context.js';
import { runtime, type StartMethod } from './process/runtime.js';
import { warmSpare } from './spawn/process.js';
import { Lock as LockClass } from './sync/lock.js';
import { RLock as RLockClass } from './sync/rlock.js';
import { Semaphore as SemaphoreClass, BoundedSemaphore as BoundedSemaphoreClass } from './sync/semaphore.js';
import { Condition as ConditionClass } from './sync/condition.js';
import { Event as EventClass } from './sync/event.js';
import { Barrier as BarrierClass } from './sync/barrier.js';
import { Value as ValueClass, RawValue as RawValueClass } from './shared/value.js';
import { SharedArray, RawArray as RawArrayClass } from './shared/array.js';
import { Struct as StructClass } from './shared/struct.js';
import { SharedMemory as SharedMemoryClass } from './shared/shared-memory.js';
import { ShareableList as ShareableListClass } from './shared/shareable-list.js';
import { Pipe } from './connection/connection.js';
import { Pool as PoolClass } from './pool/pool.js';
import { Queue as QueueClass, SimpleQueue as SimpleQueueClass, JoinableQueue as JoinableQueueClass } from './queues/queue.js';

export * from './errors.js';
export { registerClass } from './codec/codec.js';
export { wait } from './process/waitable.js';
export { currentProcess, parentProcess, activeChildren, type ProcessOptions, type ParentProcess } from './process/process.js';
export { getAllStartMethods, getStartMethod, setStartMethod } from './process/context.js';
export { logToStderr } from './process/runtime.js';
export { levels as LOG_LEVELS, Logger } from './util/logger.js';
export type { StartMethod } from './process/runtime.js';
export type { TargetRef } from './targets/describe.js';
// (also brings its declarations of Symbol.dispose/asyncDispose to a program without Node's types)
export type { NodeBuffer } from './util/node-types.js';
import { logger } from './util/logger.js';
import { inspectAsString } from './util/inspect.js';
import { Primitive } from './sync/primitive.js';
import { Connection as ConnectionClass } from './connection/connection.js';

import { SocketConnection as SocketConnectionClass } from './net/socket-connection.js';
import { SocketListener as SocketListenerClass } from './net/listener.js';

inspectAsString(SocketConnectionClass, SocketListenerClass, ProcessClass, Primitive, ValueClass, SharedArray, StructClass, ConnectionClass, SharedMemoryClass, ShareableListClass, SimpleQueueClass, QueueClass);

export const Process = callable(ProcessClass);
export type Process = ProcessClass;
export const Lock = callable(LockClass);
export type Lock = LockClass;
export const RLock = callable(RLockClass);
export type RLock = RLockClass;
export const Semaphore = callable(SemaphoreClass);
export type Semaphore = SemaphoreClass;
export const BoundedSemaphore = callable(BoundedSemaphoreClass);
export type BoundedSemaphore = BoundedSemaphoreClass;
export const Condition = callable(ConditionClass);
export type Condition = ConditionClass;
export const Event = callable(EventClass);
export type Event = EventClass;
export const Barrier = callable(BarrierClass);
export type Barrier = BarrierClass;
export type { AcquireOptions } from './sync/acquirable.js';
// The four typed factories keep their typecode (or Struct) when called without `new` (a plain
// Callable would widen it: mp.Value('i', 0).value would be number | bigint | string), and say
// that `{ lock: false }` gives the raw object, as Python's factories do.
type NoLock = SharedOptions & { lock: false };
interface ValueFactory {
  new <C extends Code>(typecode: C | RawValueClass<C>, initial: Writable<C> | undefined, options: NoLock): RawValueClass<C>;
  new <C extends Code>(typecode: C | RawValueClass<C>, initial?: Writable<C>, options?: SharedOptions): ValueClass<C>;
  <C extends Code>(typecode: C | RawValueClass<C>, initial: Writable<C> | undefined, options: NoLock): RawValueClass<C>;
  <C extends Code>(typecode: C | RawValueClass<C>, initial?: Writable<C>, options?: SharedOptions): ValueClass<C>;
  readonly prototype: ValueClass;
}
export const Value = callable(ValueClass) as unknown as ValueFactory;
export type Value<C extends Code = Code> = ValueClass<C>;
interface RawValueFactory {
  new <C extends Code>(typecode: C, initial?: Writable<C>): RawValueClass<C>;
  <C extends Code>(typecode: C, initial?: Writable<C>): RawValueClass<C>;
  readonly prototype: RawValueClass;
}
export const RawValue = callable(RawValueClass as abstract new (...a: never[]) => unknown) as unknown as RawValueFactory;
export type RawValue<C extends Code = Code> = RawValueClass<C>;
type ArrayInit<C extends Code> = number | Iterable<Writable<C>> | ArrayLike<Writable<C>> | (C extends 'c' ? string : never);
interface ArrayFactoryType {
  new <C extends Code>(typecode: C | RawArrayClass<C>, sizeOrValues: ArrayInit<C> | undefined, options: NoLock): RawArrayClass<C>;
  new <C extends Code>(typecode: C | RawArrayClass<C>, sizeOrValues?: ArrayInit<C>, options?: SharedOptions): SharedArray<C>;
  <C extends Code>(typecode: C | RawArrayClass<C>, sizeOrValues: ArrayInit<C> | undefined, options: NoLock): RawArrayClass<C>;
  <C extends Code>(typecode: C | RawArrayClass<C>, sizeOrValues?: ArrayInit<C>, options?: SharedOptions): SharedArray<C>;
  readonly prototype: SharedArray;
}
// `Array` cannot be declared here without hiding the global one; it is exported under that name.
const ArrayFactory = callable(SharedArray) as unknown as ArrayFactoryType;
type ArrayFactory<C extends Code = Code> = SharedArray<C>;
export { ArrayFactory as Array };
interface RawArrayFactory {
  new <C extends Code>(typecode: C, sizeOrValues: ArrayInit<C>): RawArrayClass<C>;
  <C extends Code>(typecode: C, sizeOrValues: ArrayInit<C>): RawArrayClass<C>;
  readonly prototype: RawArrayClass;
}
export const RawArray = callable(RawArrayClass as abstract new (...a: never[]) => unknown) as unknown as RawArrayFactory;
export type RawArray<C extends Code = Code> = RawArrayClass<C>;
interface StructFactory {
  /** Declares a record type from typecodes: `mp.Struct({ x: 'd', y: 'd' })`, usable wherever a typecode is. */
  new <const F extends Fields>(fields: F, options?: { name?: string }): StructClass<F>;
  <const F extends Fields>(fields: F, options?: { name?: string }): StructClass<F>;
  readonly prototype: StructClass;
}
export const Struct = callable(StructClass) as unknown as StructFactory;
export type Struct<F extends Fields = Fields> = StructClass<F>;
export type { Fields, FieldType, StructView, StructInit } from './shared/struct.js';
export const SharedMemory = callable(SharedMemoryClass);
export type SharedMemory = SharedMemoryClass;
export const ShareableList = callable(ShareableListClass);
export type ShareableList = ShareableListClass;
export type { SharedMemoryOptions } from './shared/shared-memory.js';
export { Pipe, Connection } from './connection/connection.js';
export { Listener, SocketListener } from './net/listener.js';
export { Client } from './net/client.js';
export { SocketConnection } from './net/socket-connection.js';
export type { Address, Authkey, Family, ListenerOptions, ClientOptions, WaitOptions as ConnectionWaitOptions } from './net/options.js';
export type { ConnectionLike, RecvOptions } from './connection/interface.js';
export const Pool = callable(PoolClass);
export type Pool = PoolClass;
export { AsyncResult } from './pool/async-result.js';
import { ProcessPoolExecutor as ExecutorClass } from './pool/executor.js';
export const ProcessPoolExecutor = callable(ExecutorClass);
export type ProcessPoolExecutor = ExecutorClass;
export type { ExecutorOptions } from './pool/executor.js';
export { type PoolOptions, type TaskOptions, type PoolStats } from './pool/pool.js';
export { IMapIterator } from './pool/imap.js';
export const Queue = callable(QueueClass);
export type Queue = QueueClass;
export const SimpleQueue = callable(SimpleQueueClass);
export type SimpleQueue = SimpleQueueClass;
export const JoinableQueue = callable(JoinableQueueClass);
export type JoinableQueue = JoinableQueueClass;
export type { ShareableItem } from './shared/shareable-list.js';
export type { Typecode, PythonTypecode, JsTypecode, Scalar } from './shared/typecodes.js';
export type { SharedOptions, ScalarOf, Writable } from './shared/guard.js';
import type { Code, Fields } from './shared/struct.js';
import type { SharedOptions, Writable } from './shared/guard.js';

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
  Lock: typeof Lock;
  RLock: typeof RLock;
  Semaphore: typeof Semaphore;
  BoundedSemaphore: typeof BoundedSemaphore;
  Condition: typeof Condition;
  Event: typeof Event;
  Barrier: typeof Barrier;
  Value: typeof Value;
  RawValue: typeof RawValue;
  Array: typeof ArrayFactory;
  RawArray: typeof RawArray;
  SharedMemory: typeof SharedMemory;
  ShareableList: typeof ShareableList;
  Pipe: typeof Pipe;
  Queue: typeof Queue;
  SimpleQueue: typeof SimpleQueue;
  JoinableQueue: typeof JoinableQueue;
  Pool: typeof Pool;
  /** `await ctx.Manager()`: a started SyncManager whose server runs under this start method. */
  Manager(options?: Omit<ManagerOptions, 'context'>): Promise<SyncManager>;
}

/** The factories that do not depend on the start method: the same in every context. */
const shared = { Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier, Value, RawValue, Array: ArrayFactory, RawArray, SharedMemory, ShareableList, Pipe, Queue, SimpleQueue, JoinableQueue };

const contexts = new Map<StartMethod, Context>();
export function getContext(method?: StartMethod | null): Context {
  const m = method == null ? getStartMethod()! : checkStartMethod(method);
  let ctx = contexts.get(m);
  if (!ctx) {
    const Bound = class extends ProcessClass {
      static override startMethod: StartMethod | null = m;
    };
    Object.defineProperty(Bound, 'name', { value: 'Process' });
    const BoundPool = class extends PoolClass {
      static override startMethod: StartMethod | null = m;
    };
    Object.defineProperty(BoundPool, 'name', { value: 'Pool' });
    ctx = { startMethod: m, getStartMethod: () => m, Process: callable(Bound), ...shared, Pool: callable(BoundPool), Manager: (options?: Omit<ManagerOptions, 'context'>) => Manager({ ...options, context: m }) };
    contexts.set(m, ctx);
  }
  if (m === 'process') warmSpare();
  return ctx;
}

// Managers (issue 14): a server process holding objects, proxies to them.
import { BaseManager as BaseManagerClass } from './managers/manager.js';
export const BaseManager = callable(BaseManagerClass);
export type BaseManager = BaseManagerClass;
export { type ManagerOptions, type RegisterOptions } from './managers/manager.js';
import { SyncManager as SyncManagerClass, Manager } from './managers/sync-manager.js';
export { Manager };
export const SyncManager = callable(SyncManagerClass);
export type SyncManager = SyncManagerClass;
import type { ManagerOptions } from './managers/manager.js';
export { BaseProxy } from './managers/proxy.js';
import { SharedMemoryManager as SharedMemoryManagerClass } from './managers/shared-memory-manager.js';
export const SharedMemoryManager = callable(SharedMemoryManagerClass);
export type SharedMemoryManager = SharedMemoryManagerClass;
export { DictProxy, ListProxy, NamespaceProxy, ValueProxy, ArrayProxy } from './managers/proxies.js';
export { AcquirerProxy, SemaphoreProxy, ConditionProxy, EventProxy, BarrierProxy, QueueProxy, JoinableQueueProxy } from './managers/sync-proxies.js';
export { PoolProxy, type ManagedPoolOptions } from './managers/pool-proxy.js';
export { KeyError, IndexError, AttributeError } from './managers/pyobjects.js';
