// multiprocessing-ts: Python's multiprocessing for Node.js. The one public entry point: the
// factories (factories.ts), contexts (context.ts), errors and the rest re-exported from their
// layers, one folder each: core (shared arena, wait/wake and the step drivers), codec (values
// across the boundary), targets (functions across the boundary), spawn (start methods),
// process (Process, start methods, runtime, mp.wait), sync (locks, conditions, events,
// barriers), shared (Value, Array, Struct records, named segments), connection (rings,
// messages, Pipe/Connection), queues, pool (the Pool facade and its local backend), net
// (Listener/Client: CPython's multiprocessing.connection over sockets), managers. The Redis
// backend ('multiprocessing-ts/redis') and the command line (src/cli) are entries of their own.
import { cpus } from 'node:os';
import { runtime } from './process/runtime.js';
import { logger } from './util/logger.js';
import { inspectAsString } from './util/inspect.js';
import { Process as ProcessClass } from './process/process.js';
import { Primitive } from './sync/primitive.js';
import { Value as ValueClass } from './shared/value.js';
import { SharedArray } from './shared/array.js';
import { Struct as StructClass } from './shared/struct.js';
import { SharedMemory as SharedMemoryClass } from './shared/shared-memory.js';
import { ShareableList as ShareableListClass } from './shared/shareable-list.js';
import { Connection as ConnectionClass } from './connection/connection.js';
import { Queue as QueueClass, SimpleQueue as SimpleQueueClass } from './queues/queue.js';
import { SocketConnection as SocketConnectionClass } from './net/socket-connection.js';
import { SocketListener as SocketListenerClass } from './net/listener.js';

export * from './errors.js';
export * from './factories.js';
export { getContext, type Context } from './context.js';
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
export type { AcquireOptions } from './sync/acquirable.js';
export type { Fields, FieldType, StructView, StructInit } from './shared/struct.js';
export type { SharedMemoryOptions } from './shared/shared-memory.js';
export { SocketConnection } from './net/socket-connection.js';
export type { Address, Authkey, Family, ListenerOptions, ClientOptions, WaitOptions as ConnectionWaitOptions } from './net/options.js';
export type { ConnectionLike, RecvOptions } from './connection/interface.js';
export { AsyncResult } from './pool/async-result.js';
export type { ExecutorOptions } from './pool/executor.js';
export { type PoolOptions, type TaskOptions, type PoolStats, type MapOptions, type LazyOptions } from './pool/pool.js';
export type { Progress, OnProgress } from './pool/progress.js';
export { IMapIterator } from './pool/imap.js';
export type { ShareableItem } from './shared/shareable-list.js';
export type { Typecode, PythonTypecode, JsTypecode, Scalar } from './shared/typecodes.js';
export type { SharedOptions, ScalarOf, Writable } from './shared/guard.js';
export { Connection } from './connection/connection.js';
export { SocketListener } from './net/listener.js';
export { type ManagerOptions, type RegisterOptions } from './managers/manager.js';
export { BaseProxy } from './managers/proxy.js';
export { PoolProxy, type ManagedPoolOptions } from './managers/pool-proxy.js';
export { DictProxy, ListProxy, NamespaceProxy, ValueProxy, ArrayProxy } from './managers/proxies.js';
export { AcquirerProxy, SemaphoreProxy, ConditionProxy, EventProxy, BarrierProxy, QueueProxy, JoinableQueueProxy } from './managers/sync-proxies.js';

inspectAsString(SocketConnectionClass, SocketListenerClass, ProcessClass, Primitive, ValueClass, SharedArray, StructClass, ConnectionClass, SharedMemoryClass, ShareableListClass, SimpleQueueClass, QueueClass);

export function getLogger(): typeof logger {
  return logger;
}
export function cpuCount(): number {
  return cpus().length;
}
export function isMainProcess(): boolean {
  return runtime.isMain;
}

