// manager.Pool(): as in Python, a proxy to a Pool that lives in the manager's server process
// (its workers are the server's children). Functions travel by reference only (exported
// functions, as for any Pool task: the server imports them, never evaluates source), so only
// members of the manager's family may call the methods that take one (registry.ts refuses a
// remote client). Each method is one call to the server that resolves when the pool is done:
// apply() is Python's apply, and its Promise stands in for apply_async's AsyncResult. The
// pool is terminated when its last proxy is gone or the server shuts down.
import { Pool, type PoolOptions } from '../pool/pool.js';
import type { StartMethod } from '../process/runtime.js';
import { describeTarget, type AnyFunction, type TargetRef, type TargetSpec } from '../targets/describe.js';
import { checkOptions } from '../util/options.js';
import { BaseProxy, proxyForTypeid, registerProxyType, type ProxyClass } from './proxy.js';

export interface ManagedPoolOptions {
  processes?: number | null;
  /** Run by each worker first: an exported function (or { module, name }). */
  initializer?: AnyFunction | TargetRef | null;
  initargs?: unknown[];
  maxtasksperchild?: number | null;
  /** The start method of the pool's workers (default: the server's default). */
  context?: StartMethod | null;
}
interface ManagedMapOptions {
  chunksize?: number | null;
  timeout?: number | null;
}
type Fn = AnyFunction | TargetRef;

/** A function as it travels to the server: an export's { kind, module, name }. */
export function byReference(fn: Fn, what: string): TargetSpec {
  const spec = describeTarget(fn, what);
  if (spec.kind !== 'export') throw new TypeError(`${what}: ${spec.name || 'the function'} must be exported from its module (a manager's server imports it; it never evaluates source)`);
  return spec;
}
/** Back from the wire: only an export's reference is accepted. */
function refOf(spec: unknown, what: string): TargetRef {
  const s = spec as TargetSpec | null;
  if (!s || typeof s !== 'object' || s.kind !== 'export' || typeof s.module !== 'string' || typeof s.name !== 'string') {
    throw new TypeError(`${what}: the function must be given by reference (an exported function)`);
  }
  return { module: s.module, name: s.name };
}
const mapOptions = (o: ManagedMapOptions | null | undefined, what: string) => {
  const c = checkOptions(o ?? undefined, ['chunksize', 'timeout'], what) ?? {};
  return { chunksize: c.chunksize ?? null, ...(c.timeout != null ? { timeout: c.timeout } : {}) };
};

/** The server's side: the Pool itself, taking functions by reference. */
export class ManagedPool {
  readonly #pool: Pool;
  constructor(options: Record<string, unknown> | null) {
    const o = checkOptions(options ?? undefined, ['processes', 'initializer', 'initargs', 'maxtasksperchild', 'context'], 'Manager.Pool') ?? {};
    const init = o.initializer == null ? null : refOf(o.initializer, 'Manager.Pool(initializer)');
    this.#pool = new Pool({
      processes: (o.processes as number | null | undefined) ?? null,
      initializer: init as unknown as PoolOptions['initializer'],
      initargs: (o.initargs as unknown[] | undefined) ?? [],
      maxtasksperchild: (o.maxtasksperchild as number | null | undefined) ?? null,
      ...(o.context ? { context: o.context as StartMethod } : {}),
    });
  }
  apply(fn: unknown, args: unknown[] = []): Promise<unknown> {
    return this.#pool.apply(refOf(fn, 'Pool.apply'), args);
  }
  map(fn: unknown, items: unknown[], options?: ManagedMapOptions | null): Promise<unknown[]> {
    return this.#pool.map(refOf(fn, 'Pool.map'), items, mapOptions(options, 'Pool.map'));
  }
  starmap(fn: unknown, items: unknown[][], options?: ManagedMapOptions | null): Promise<unknown[]> {
    return this.#pool.starmap(refOf(fn, 'Pool.starmap'), items, mapOptions(options, 'Pool.starmap'));
  }
  close(): void {
    this.#pool.close();
  }
  terminate(): void {
    this.#pool.terminate();
  }
  join(): Promise<void> {
    return this.#pool.join();
  }
  /** Its last proxy is gone, or the server stops (a `_` name: no client can call it). */
  _release(): void {
    this.#pool.terminate();
  }
  _shutdown(): void {
    this.#pool.terminate();
  }
}
/** Methods that take a function (refused to remote clients). */
export const POOL_BY_REFERENCE = ['apply', 'map', 'starmap'];

export class PoolProxy extends BaseProxy {
  /** Python's pool.apply(fn, args): fn(...args) in a worker of the server's pool. */
  apply<T = unknown>(fn: Fn, args: unknown[] = []): Promise<T> {
    return this._callmethod('apply', [byReference(fn, 'Pool.apply'), args]) as Promise<T>;
  }
  map<T = unknown>(fn: Fn, iterable: Iterable<unknown>, options?: ManagedMapOptions): Promise<T[]> {
    return this._callmethod('map', [byReference(fn, 'Pool.map'), [...iterable], mapOptions(options, 'Pool.map')]) as Promise<T[]>;
  }
  starmap<T = unknown>(fn: Fn, iterable: Iterable<unknown[]>, options?: ManagedMapOptions): Promise<T[]> {
    return this._callmethod('starmap', [byReference(fn, 'Pool.starmap'), [...iterable], mapOptions(options, 'Pool.starmap')]) as Promise<T[]>;
  }
  /**
   * Python's pool.close(): no more tasks. (It replaces BaseProxy.close(): this proxy's reference
   * goes back when it is collected, or with BaseProxy.prototype.close.call(proxy).)
   */
  override async close(): Promise<void> {
    await this._callmethod('close');
  }
  async terminate(): Promise<void> {
    await this._callmethod('terminate');
  }
  async join(): Promise<void> {
    await this._callmethod('join');
  }
}
proxyForTypeid.set('Pool', PoolProxy as unknown as ProxyClass);
registerProxyType(PoolProxy as unknown as ProxyClass);
