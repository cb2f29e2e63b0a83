// SyncManager (what mp.Manager() starts): a BaseManager whose server also makes Python's
// built-in managed types, each factory resolving to its typed proxy.
import type { StartMethod } from '../process/runtime.js';
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
  Condition(): Promise<ConditionProxy> {
    return this.create('Condition');
  }
  Event(): Promise<EventProxy> {
    return this.create('Event');
  }
  Barrier(parties: number, action?: null, timeout?: number | null): Promise<BarrierProxy> {
    if (action != null) return Promise.reject(new TypeError('Manager.Barrier: an action cannot run in the server; pass null'));
    return this.create('Barrier', parties, null, timeout ?? null);
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
