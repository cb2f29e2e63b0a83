// SyncManager (what mp.Manager() starts): a BaseManager whose server also makes Python's
// built-in managed types, each factory resolving to its typed proxy.
import type { StartMethod } from '../process/runtime.js';
import type { AnyFunction, TargetRef, TargetSpec } from '../targets/describe.js';
import { byReference, PoolProxy, type ManagedPoolOptions } from './pool-proxy.js';
import { BaseManager, type ManagerOptions } from './manager.js';
import { ArrayProxy, DictProxy, ListProxy, NamespaceProxy, ValueProxy } from './proxies.js';
import { AcquirerProxy, BarrierProxy, ConditionProxy, EventProxy, JoinableQueueProxy, QueueProxy, SemaphoreProxy } from './sync-proxies.js';

export class SyncManager extends BaseManager {
  protected static override readonly syncTypes: boolean = true;

  dict<K = unknown, V = unknown>(init?: Record<string, V> | Map<K, V> | Iterable<readonly [K, V]> | null): Promise<DictProxy<K, V>> {
    return this.create('dict', init instanceof Map || init == null || Array.isArray(init) ? init ?? null : Symbol.iterator in Object(init) ? [...(init as Iterable<[K, V]>)] : init);
  }
  list<T = unknown>(init?: Iterable<T> | null): Promise<ListProxy<T>> {
    return this.create('list', init == null ? null : [...init]);
  }
  Namespace(init?: Record<string, unknown> | null): Promise<NamespaceProxy> {
    return this.create('Namespace', init ?? null);
  }
  Value<T = unknown>(typecode: string, value: T): Promise<ValueProxy<T>> {
    return this.create('Value', typecode, value);
  }
  Array<T = unknown>(typecode: string, sizeOrValues: number | Iterable<T>): Promise<ArrayProxy<T>> {
    return this.create('Array', typecode, typeof sizeOrValues === 'number' ? sizeOrValues : [...sizeOrValues]);
  }
  Lock(): Promise<AcquirerProxy> {
    return this.create('Lock');
  }
  RLock(): Promise<AcquirerProxy> {
    return this.create('RLock');
  }
  Semaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create('Semaphore', value);
  }
  BoundedSemaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create('BoundedSemaphore', value);
  }
  /** Python's Condition(lock=None): a managed Lock or RLock of this manager, or a new RLock. */
  Condition(lock?: AcquirerProxy | null): Promise<ConditionProxy> {
    if (lock != null && !(lock instanceof AcquirerProxy && (lock.typeid === 'Lock' || lock.typeid === 'RLock'))) {
      return Promise.reject(new TypeError(`Manager.Condition(lock): expected a managed Lock or RLock proxy (or null), got ${String(lock)}`));
    }
    return lock == null ? this.create('Condition') : this.create('Condition', lock);
  }
  Event(): Promise<EventProxy> {
    return this.create('Event');
  }
  /**
   * Python's Barrier(parties, action=None, timeout=None). The action (an exported function,
   * sent by reference) runs once per trip in the last party to arrive: in that client's
   * process for a family proxy, in the server for a remote one.
   */
  Barrier(parties: number, action?: AnyFunction | TargetRef | null, timeout?: number | null): Promise<BarrierProxy> {
    let spec: TargetSpec | null = null;
    try {
      if (action != null) spec = byReference(action, 'Manager.Barrier(action)');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.create('Barrier', parties, spec, timeout ?? null);
  }
  /** Python's manager.Pool(): a proxy to a Pool in the server process (see pool-proxy.ts). */
  Pool(options?: ManagedPoolOptions | number | null): Promise<PoolProxy> {
    const o: ManagedPoolOptions = typeof options === 'number' || options == null ? { processes: options ?? null } : options;
    let wire: Record<string, unknown>;
    try {
      wire = { ...o, initializer: o.initializer == null ? null : byReference(o.initializer, 'Manager.Pool(initializer)') };
    } catch (e) {
      return Promise.reject(e);
    }
    return this.create('Pool', wire);
  }
  Queue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.create('Queue', maxsize);
  }
  JoinableQueue<T = unknown>(maxsize = 0): Promise<JoinableQueueProxy<T>> {
    return this.create('JoinableQueue', maxsize);
  }
}

/** `await mp.Manager()`: a started SyncManager (`{ context }` picks the start method of its server). */
export async function Manager(options?: ManagerOptions | { context?: StartMethod }): Promise<SyncManager> {
  return new SyncManager(options).start();
}
