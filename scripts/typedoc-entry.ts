// The API reference's entry point (TypeDoc, `npm run docs`): everything the package exports
// (src/index.ts), where each factory that is also a class (`mp.Lock()` and `new mp.Lock()`)
// is shown as the class it makes, with its methods and their doc comments, and the option
// types users pass are named. Not part of the build: the package's entry is src/index.ts.
export * from '../src/index.js';
export { Process } from '../src/process/process.js';
export { Lock } from '../src/sync/lock.js';
export { RLock } from '../src/sync/rlock.js';
export { Semaphore, BoundedSemaphore } from '../src/sync/semaphore.js';
export { Condition } from '../src/sync/condition.js';
export { Event } from '../src/sync/event.js';
export { Barrier } from '../src/sync/barrier.js';
export { Value, RawValue } from '../src/shared/value.js';
export { SharedArray as Array, RawArray } from '../src/shared/array.js';
export { Struct } from '../src/shared/struct.js';
export { SharedMemory } from '../src/shared/shared-memory.js';
export { ShareableList } from '../src/shared/shareable-list.js';
export { Queue, SimpleQueue, JoinableQueue } from '../src/queues/queue.js';
export { Pool } from '../src/pool/pool.js';
export { ProcessPoolExecutor } from '../src/pool/executor.js';
export { BaseManager } from '../src/managers/manager.js';
export { SyncManager } from '../src/managers/sync-manager.js';
export { SharedMemoryManager } from '../src/managers/shared-memory-manager.js';
export type { WaitOptions } from '../src/util/options.js';
export type { Backend, Scheduler, CallRequest, PoolSettings, Mode } from '../src/pool/backend.js';
export type { ResultCallbacks } from '../src/pool/async-result.js';
export type { ResultOf, TaskFunction } from '../src/targets/describe.js';
export type { Code, FieldInit, FieldValue, Field } from '../src/shared/struct.js';
export type { BlockArg, BlockOptions } from '../src/util/options.js';
export type { Callable } from '../src/util/callable.js';
export type { TypedArrayOf as TypedArray } from '../src/shared/typecodes.js';
