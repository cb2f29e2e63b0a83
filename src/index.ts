// multiprocessing-ts: Python's multiprocessing for Node.js. The one public entry point.
// Layers (one folder each): core (shared arena + wait/wake), codec (values across the
// boundary), targets (functions across the boundary), spawn (start methods), process
// (Process, contexts, runtime), sync (locks, conditions, events, barriers on the core),
// shared (Value, Array and their raw forms in the arena, named segments), connection (rings,
// Pipe/Connection), queues (Queue, SimpleQueue, JoinableQueue).
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

inspectAsString(ProcessClass, Primitive, ValueClass, SharedArray, ConnectionClass, SharedMemoryClass, ShareableListClass, SimpleQueueClass, QueueClass);

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
// The four typed factories keep their typecode when called without `new` (a plain Callable
// would widen it: mp.Value('i', 0).value would be number | bigint | string).
export const Value = callable(ValueClass) as typeof ValueClass & (<C extends Typecode>(...args: ConstructorParameters<typeof ValueClass<C>>) => ValueClass<C>);
export type Value<C extends Typecode = Typecode> = ValueClass<C>;
export const RawValue = callable(RawValueClass) as typeof RawValueClass & (<C extends Typecode>(...args: ConstructorParameters<typeof RawValueClass<C>>) => RawValueClass<C>);
export type RawValue<C extends Typecode = Typecode> = RawValueClass<C>;
// `Array` cannot be declared here without hiding the global one; it is exported under that name.
const ArrayFactory = callable(SharedArray) as typeof SharedArray & (<C extends Typecode>(...args: ConstructorParameters<typeof SharedArray<C>>) => SharedArray<C>);
type ArrayFactory<C extends Typecode = Typecode> = SharedArray<C>;
export { ArrayFactory as Array };
export const RawArray = callable(RawArrayClass) as typeof RawArrayClass & (<C extends Typecode>(...args: ConstructorParameters<typeof RawArrayClass<C>>) => RawArrayClass<C>);
export type RawArray<C extends Typecode = Typecode> = RawArrayClass<C>;
export const SharedMemory = callable(SharedMemoryClass);
export type SharedMemory = SharedMemoryClass;
export const ShareableList = callable(ShareableListClass);
export type ShareableList = ShareableListClass;
export type { SharedMemoryOptions } from './shared/shared-memory.js';
export { Pipe, Connection } from './connection/connection.js';
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
import type { Typecode } from './shared/typecodes.js';

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
    ctx = { startMethod: m, getStartMethod: () => m, Process: callable(Bound), ...shared, Pool: callable(BoundPool) };
    contexts.set(m, ctx);
  }
  if (m === 'process') warmSpare();
  return ctx;
}
