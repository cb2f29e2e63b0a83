// The proxies of SyncManager's data types: dict, list, Namespace, Value, Array. Every method is
// a call to the server (async), named as API.md names them. `modify(key, fn, ...args)` is the
// atomic read-modify-write Python lacks: `fn` (an exported function, shipped by reference and
// never by source) runs on the server with the current value and its result is stored, with no
// other call in between. (`(await d.get('k')).push(x)` changes a copy only, as in Python.)
import { describeTarget, type AnyFunction, type TargetRef } from '../targets/describe.js';
import { BaseProxy, proxyForTypeid, registerProxyType, type ProxyClass } from './proxy.js';

type Fn = AnyFunction | TargetRef;
function ref(fn: Fn): unknown {
  const spec = describeTarget(fn, 'modify(fn)');
  if (spec.kind !== 'export') throw new TypeError(`modify(fn): ${spec.name || 'the function'} must be exported from its module (a manager's server imports it; it never evaluates source)`);
  return spec;
}

export class DictProxy<K = unknown, V = unknown> extends BaseProxy {
  /** Python's d.get(k, default): the default (null) when missing. */
  get(key: K, dflt: V | null = null): Promise<V | null> {
    return this._callmethod('get', [key, dflt]) as Promise<V | null>;
  }
  /** Python's d[k]: rejects with KeyError when missing. */
  getItem(key: K): Promise<V> {
    return this._callmethod('getItem', [key]) as Promise<V>;
  }
  set(key: K, value: V): Promise<void> {
    return this._callmethod('set', [key, value]) as Promise<void>;
  }
  has(key: K): Promise<boolean> {
    return this._callmethod('has', [key]) as Promise<boolean>;
  }
  delete(key: K): Promise<void> {
    return this._callmethod('delete', [key]) as Promise<void>;
  }
  keys(): Promise<K[]> {
    return this._callmethod('keys') as Promise<K[]>;
  }
  values(): Promise<V[]> {
    return this._callmethod('values') as Promise<V[]>;
  }
  items(): Promise<[K, V][]> {
    return this._callmethod('items') as Promise<[K, V][]>;
  }
  length(): Promise<number> {
    return this._callmethod('length') as Promise<number>;
  }
  update(entries: Record<string, V> | Map<K, V> | Iterable<readonly [K, V]>): Promise<void> {
    return this._callmethod('update', [entries instanceof Map || Array.isArray(entries) ? entries : Symbol.iterator in Object(entries) ? [...(entries as Iterable<[K, V]>)] : entries]) as Promise<void>;
  }
  pop(key: K, ...dflt: [V?]): Promise<V> {
    return this._callmethod('pop', [key, ...dflt]) as Promise<V>;
  }
  setdefault(key: K, value: V | null = null): Promise<V> {
    return this._callmethod('setdefault', [key, value]) as Promise<V>;
  }
  clear(): Promise<void> {
    return this._callmethod('clear') as Promise<void>;
  }
  /** A plain copy, as a Map. */
  copy(): Promise<Map<K, V>> {
    return this._callmethod('copy') as Promise<Map<K, V>>;
  }
  /** Atomically d[key] = fn(d.get(key), ...args) on the server; resolves to the new value. */
  modify<R extends V>(key: K, fn: ((current: V | null, ...args: never[]) => R) | TargetRef, ...args: unknown[]): Promise<R> {
    return this._callmethod('modify', [key, ref(fn), ...args]) as Promise<R>;
  }
}

export class ListProxy<T = unknown> extends BaseProxy {
  /** l[i]; a negative index counts from the end; IndexError when out of range. */
  get(i: number): Promise<T> {
    return this._callmethod('get', [i]) as Promise<T>;
  }
  set(i: number, v: T): Promise<void> {
    return this._callmethod('set', [i, v]) as Promise<void>;
  }
  append(v: T): Promise<void> {
    return this._callmethod('append', [v]) as Promise<void>;
  }
  extend(vs: Iterable<T>): Promise<void> {
    return this._callmethod('extend', [[...vs]]) as Promise<void>;
  }
  insert(i: number, v: T): Promise<void> {
    return this._callmethod('insert', [i, v]) as Promise<void>;
  }
  pop(i?: number): Promise<T> {
    return this._callmethod('pop', i === undefined ? [] : [i]) as Promise<T>;
  }
  remove(v: T): Promise<void> {
    return this._callmethod('remove', [v]) as Promise<void>;
  }
  index(v: T, start?: number, stop?: number): Promise<number> {
    return this._callmethod('index', [v, ...(start === undefined ? [] : [start]), ...(stop === undefined ? [] : [stop])]) as Promise<number>;
  }
  count(v: T): Promise<number> {
    return this._callmethod('count', [v]) as Promise<number>;
  }
  reverse(): Promise<void> {
    return this._callmethod('reverse') as Promise<void>;
  }
  /** Python's order: numbers numerically, strings by code point; { reverse: true } descends. */
  sort(options?: { reverse?: boolean }): Promise<void> {
    return this._callmethod('sort', options ? [options] : []) as Promise<void>;
  }
  length(): Promise<number> {
    return this._callmethod('length') as Promise<number>;
  }
  slice(a?: number | null, b?: number | null): Promise<T[]> {
    return this._callmethod('slice', [a ?? null, b ?? null]) as Promise<T[]>;
  }
  toArray(): Promise<T[]> {
    return this._callmethod('toArray') as Promise<T[]>;
  }
  /** Atomically l[i] = fn(l[i], ...args) on the server; resolves to the new value. */
  modify<R extends T>(i: number, fn: ((current: T, ...args: never[]) => R) | TargetRef, ...args: unknown[]): Promise<R> {
    return this._callmethod('modify', [i, ref(fn), ...args]) as Promise<R>;
  }
}

export class NamespaceProxy extends BaseProxy {
  readonly #own = new Map<string, unknown>();
  /** ns.name; AttributeError when missing. `_`-prefixed names live on the proxy, as in Python. */
  get(name: string): Promise<unknown> {
    if (name.startsWith('_')) return this.#own.has(name) ? Promise.resolve(this.#own.get(name)) : Promise.reject(new TypeError(`'NamespaceProxy' object has no attribute '${name}'`));
    return this._callmethod('get', [name]);
  }
  set(name: string, value: unknown): Promise<void> {
    if (name.startsWith('_')) return Promise.resolve(void this.#own.set(name, value));
    return this._callmethod('set', [name, value]) as Promise<void>;
  }
  delete(name: string): Promise<void> {
    if (name.startsWith('_')) return Promise.resolve(void this.#own.delete(name));
    return this._callmethod('delete', [name]) as Promise<void>;
  }
  has(name: string): Promise<boolean> {
    return this._callmethod('has', [name]) as Promise<boolean>;
  }
  /** Every attribute, as a plain object. */
  toObject(): Promise<Record<string, unknown>> {
    return this._callmethod('toObject') as Promise<Record<string, unknown>>;
  }
}

export class ValueProxy<T = unknown> extends BaseProxy {
  get(): Promise<T> {
    return this._callmethod('get') as Promise<T>;
  }
  set(v: T): Promise<void> {
    return this._callmethod('set', [v]) as Promise<void>;
  }
}

export class ArrayProxy<T = unknown> extends BaseProxy {
  get(i: number): Promise<T> {
    return this._callmethod('get', [i]) as Promise<T>;
  }
  set(i: number, v: T): Promise<void> {
    return this._callmethod('set', [i, v]) as Promise<void>;
  }
  length(): Promise<number> {
    return this._callmethod('length') as Promise<number>;
  }
  slice(a?: number | null, b?: number | null): Promise<T[]> {
    return this._callmethod('slice', [a ?? null, b ?? null]) as Promise<T[]>;
  }
  toArray(): Promise<T[]> {
    return this._callmethod('toArray') as Promise<T[]>;
  }
}

for (const [typeid, cls] of [['dict', DictProxy], ['list', ListProxy], ['Namespace', NamespaceProxy], ['Value', ValueProxy], ['Array', ArrayProxy]] as const) {
  proxyForTypeid.set(typeid, cls as unknown as ProxyClass);
  registerProxyType(cls as unknown as ProxyClass);
}
