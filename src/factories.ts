// Every factory of the package, once: Python's functions and classes as values that work with
// and without `new` (mp.Lock() and new mp.Lock()), each with its type. The entry re-exports this
// table and a context (context.ts) binds its start-method-dependent entries.
import { callable } from './util/callable.js';
import { Process as ProcessClass } from './process/process.js';
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
import { Pool as PoolClass } from './pool/pool.js';
import { ProcessPoolExecutor as ExecutorClass } from './pool/executor.js';
import { Queue as QueueClass, SimpleQueue as SimpleQueueClass, JoinableQueue as JoinableQueueClass } from './queues/queue.js';
import type { Code, Fields } from './shared/struct.js';
import type { SharedOptions, Writable } from './shared/guard.js';
import { BaseManager as BaseManagerClass } from './managers/manager.js';
import { SyncManager as SyncManagerClass, Manager } from './managers/sync-manager.js';
import type { ManagerOptions } from './managers/manager.js';
import { SharedMemoryManager as SharedMemoryManagerClass } from './managers/shared-memory-manager.js';
export { Pipe } from './connection/connection.js';
export { Listener } from './net/listener.js';
export { Client } from './net/client.js';

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
export const SharedMemory = callable(SharedMemoryClass);
export type SharedMemory = SharedMemoryClass;
export const ShareableList = callable(ShareableListClass);
export type ShareableList = ShareableListClass;
export const Pool = callable(PoolClass);
export type Pool = PoolClass;
export const ProcessPoolExecutor = callable(ExecutorClass);
export type ProcessPoolExecutor = ExecutorClass;
export const Queue = callable(QueueClass);
export type Queue = QueueClass;
export const SimpleQueue = callable(SimpleQueueClass);
export type SimpleQueue = SimpleQueueClass;
export const JoinableQueue = callable(JoinableQueueClass);
export type JoinableQueue = JoinableQueueClass;
export const BaseManager = callable(BaseManagerClass);
export type BaseManager = BaseManagerClass;
export { Manager };
export const SyncManager = callable(SyncManagerClass);
export type SyncManager = SyncManagerClass;
export const SharedMemoryManager = callable(SharedMemoryManagerClass);
export type SharedMemoryManager = SharedMemoryManagerClass;
