// The objects a SyncManager's server keeps for dict(), list(), Namespace(), Value() and Array(),
// with Python's semantics where JavaScript's differ: negative indexes, KeyError / IndexError /
// AttributeError (sent back as themselves), Python's ordering for sort() (numbers numerically,
// strings by code point, sequences element by element, other mixes a TypeError as in Python),
// == as deep equality for index/count/remove, dict keys of any sendable value (a key that is an
// array or object is found by its contents, as Python hashes a tuple), and Python's repr.
import { serialize } from 'node:v8';
import { isDeepStrictEqual } from 'node:util';
import { loadTarget } from '../targets/load.js';
import type { TargetSpec } from '../targets/describe.js';
import { AttributeError, IndexError, KeyError, ValueError } from '../errors.js';

/** The function of a modify(): an export only (a peer's source text is never evaluated). */
async function exported(spec: unknown): Promise<(...a: unknown[]) => unknown> {
  const s = spec as TargetSpec;
  if (!s || typeof s !== 'object' || s.kind !== 'export' || typeof s.module !== 'string' || typeof s.name !== 'string') {
    throw new TypeError('modify: the function must be given by reference (an exported function)');
  }
  return loadTarget(s);
}
/** fn(current) stored back with no other call in between (fn must not be async). */
function applyNow(fn: (...a: unknown[]) => unknown, current: unknown, args: unknown[]): unknown {
  const v = fn(current, ...args);
  if (v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function') {
    throw new TypeError(`modify: ${fn.name || 'the function'} returned a Promise; it must be synchronous to be atomic`);
  }
  return v;
}

/** Python's repr of plain data. */
export function pyRepr(v: unknown, seen = new Set<object>()): string {
  switch (typeof v) {
    case 'string': return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
    case 'number': return Number.isInteger(v) ? String(v) : Number.isNaN(v) ? 'nan' : !Number.isFinite(v) ? (v > 0 ? 'inf' : '-inf') : String(v);
    case 'bigint': return String(v);
    case 'boolean': return v ? 'True' : 'False';
    case 'undefined': return 'None';
  }
  if (v === null) return 'None';
  const o = v as object;
  if (seen.has(o)) return Array.isArray(o) ? '[...]' : '{...}';
  if (typeof (o as { [REPR]?: unknown })[REPR] === 'function') return (o as { [REPR](): string })[REPR]();
  seen.add(o);
  try {
    if (Array.isArray(o)) return `[${o.map((x) => pyRepr(x, seen)).join(', ')}]`;
    if (o instanceof Map) return `{${[...o].map(([k, x]) => `${pyRepr(k, seen)}: ${pyRepr(x, seen)}`).join(', ')}}`;
    if (o instanceof Set) return o.size ? `{${[...o].map((x) => pyRepr(x, seen)).join(', ')}}` : 'set()';
    if (o instanceof Uint8Array) return `b'${Buffer.from(o).toString('latin1')}'`;
    return `{${Object.entries(o).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x, seen)}`).join(', ')}}`;
  } finally {
    seen.delete(o);
  }
}
/** An object that prints itself (a proxy inside a managed container). */
export const REPR = Symbol.for('mpts.pyRepr');

function rank(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return 0;
  if (typeof v === 'string') return 1;
  if (Array.isArray(v)) return 2;
  return 3;
}
function typeName(v: unknown): string {
  return v === null || v === undefined ? 'NoneType' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'list' : typeof v === 'object' ? (v instanceof Map ? 'dict' : 'object') : typeof v;
}
/** Python's `<` ordering (a TypeError for the mixes Python refuses). */
export function pyCompare(a: unknown, b: unknown): number {
  const ra = rank(a), rb = rank(b);
  if (ra !== rb || ra === 3) throw new TypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
  if (ra === 0) {
    const x = typeof a === 'boolean' ? Number(a) : (a as number), y = typeof b === 'boolean' ? Number(b) : (b as number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ra === 1) {
    // By code point (JS compares UTF-16 units, which differs past U+FFFF).
    const x = a as string, y = b as string;
    if (x === y) return 0;
    const ia = x[Symbol.iterator](), ib = y[Symbol.iterator]();
    for (;;) {
      const p = ia.next(), q = ib.next();
      if (p.done || q.done) return p.done ? (q.done ? 0 : -1) : 1;
      const c = p.value.codePointAt(0)! - q.value.codePointAt(0)!;
      if (c) return c < 0 ? -1 : 1;
    }
  }
  const x = a as unknown[], y = b as unknown[];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (pyEquals(x[i], y[i])) continue;
    return pyCompare(x[i], y[i]);
  }
  return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
}
export function pyEquals(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && isDeepStrictEqual(a, b));
}

function index(i: unknown, n: number, what: string, insert = false): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`${what}: list indices must be integers, not ${typeName(i)}`);
  let k = i < 0 ? i + n : i;
  if (insert) return Math.max(0, Math.min(n, k));
  if (k < 0 || k >= n) throw new IndexError(`${what}: list index out of range`);
  return k;
}

/** The list behind a ListProxy. */
export class PyList {
  items: unknown[];
  constructor(init?: Iterable<unknown> | null) {
    this.items = init == null ? [] : [...init];
  }
  get(i: number): unknown {
    return this.items[index(i, this.items.length, 'get')];
  }
  set(i: number, v: unknown): void {
    this.items[index(i, this.items.length, 'set')] = v;
  }
  append(v: unknown): void {
    this.items.push(v);
  }
  extend(vs: Iterable<unknown>): void {
    for (const v of vs) this.items.push(v);
  }
  insert(i: number, v: unknown): void {
    this.items.splice(index(i, this.items.length, 'insert', true), 0, v);
  }
  pop(i = -1): unknown {
    if (this.items.length === 0) throw new IndexError('pop from empty list');
    return this.items.splice(index(i, this.items.length, 'pop'), 1)[0];
  }
  remove(v: unknown): void {
    const k = this.items.findIndex((x) => pyEquals(x, v));
    if (k < 0) throw new ValueError('list.remove(x): x not in list');
    this.items.splice(k, 1);
  }
  index(v: unknown, start = 0, stop = this.items.length): number {
    for (let k = index(start, this.items.length + 1, 'index', true); k < Math.min(stop, this.items.length); k++) if (pyEquals(this.items[k], v)) return k;
    throw new ValueError(`${pyRepr(v)} is not in list`);
  }
  count(v: unknown): number {
    return this.items.reduce((n: number, x) => n + (pyEquals(x, v) ? 1 : 0), 0);
  }
  reverse(): void {
    this.items.reverse();
  }
  sort(options?: { reverse?: boolean }): void {
    const rev = options?.reverse === true;
    // Stable, as Python's; compare every pair the sort asks about (a bad mix throws, as in Python).
    this.items.sort((a, b) => (rev ? pyCompare(b, a) : pyCompare(a, b)));
  }
  length(): number {
    return this.items.length;
  }
  slice(a?: number | null, b?: number | null): unknown[] {
    return this.items.slice(a ?? undefined, b ?? undefined);
  }
  toArray(): unknown[] {
    return this.items.slice();
  }
  async modify(i: number, spec: unknown, ...args: unknown[]): Promise<unknown> {
    const fn = await exported(spec);
    const k = index(i, this.items.length, 'modify');
    return (this.items[k] = applyNow(fn, this.items[k], args));
  }
  repr(): string {
    return pyRepr(this.items);
  }
}

/** Python's ValueError raised by a list method (the package's ValueError is for misuse). */

/** A key as the Map sees it: primitives as themselves, others by their contents. */
function keyOf(k: unknown): unknown {
  if (k === null || typeof k !== 'object') return k;
  return '\u0000k' + serialize(k).toString('latin1');
}

/** The dict behind a DictProxy: keys of any sendable value, kept in insertion order. */
export class PyDict {
  readonly map = new Map<unknown, [unknown, unknown]>();
  constructor(init?: Iterable<readonly [unknown, unknown]> | Record<string, unknown> | Map<unknown, unknown> | null) {
    if (init != null) this.update(init);
  }
  get(k: unknown, dflt: unknown = null): unknown {
    const e = this.map.get(keyOf(k));
    return e ? e[1] : dflt;
  }
  /** Python's d[k]: KeyError when missing. */
  getItem(k: unknown): unknown {
    const e = this.map.get(keyOf(k));
    if (!e) throw new KeyError(pyRepr(k));
    return e[1];
  }
  set(k: unknown, v: unknown): void {
    const key = keyOf(k);
    const e = this.map.get(key);
    if (e) e[1] = v;
    else this.map.set(key, [k, v]);
  }
  has(k: unknown): boolean {
    return this.map.has(keyOf(k));
  }
  delete(k: unknown): void {
    if (!this.map.delete(keyOf(k))) throw new KeyError(pyRepr(k));
  }
  keys(): unknown[] {
    return [...this.map.values()].map((e) => e[0]);
  }
  values(): unknown[] {
    return [...this.map.values()].map((e) => e[1]);
  }
  items(): [unknown, unknown][] {
    return [...this.map.values()].map((e) => [e[0], e[1]]);
  }
  length(): number {
    return this.map.size;
  }
  update(o: Iterable<readonly [unknown, unknown]> | Record<string, unknown> | Map<unknown, unknown>): void {
    if (o instanceof Map || Array.isArray(o)) for (const [k, v] of o as Iterable<[unknown, unknown]>) this.set(k, v);
    else if (o !== null && typeof o === 'object') for (const k of Object.keys(o)) this.set(k, (o as Record<string, unknown>)[k]);
    else throw new TypeError(`update: expected an object, a Map or [key, value] pairs, got ${typeName(o)}`);
  }
  pop(k: unknown, ...dflt: unknown[]): unknown {
    const key = keyOf(k);
    const e = this.map.get(key);
    if (!e) {
      if (dflt.length) return dflt[0];
      throw new KeyError(pyRepr(k));
    }
    this.map.delete(key);
    return e[1];
  }
  setdefault(k: unknown, v: unknown = null): unknown {
    const e = this.map.get(keyOf(k));
    if (e) return e[1];
    this.set(k, v);
    return v;
  }
  clear(): void {
    this.map.clear();
  }
  copy(): Map<unknown, unknown> {
    return new Map(this.items());
  }
  async modify(k: unknown, spec: unknown, ...args: unknown[]): Promise<unknown> {
    const fn = await exported(spec);
    const v = applyNow(fn, this.get(k), args);
    this.set(k, v);
    return v;
  }
  repr(): string {
    return pyRepr(this.copy());
  }
}

/** The object behind a NamespaceProxy. */
export class PyNamespace {
  readonly attrs = new Map<string, unknown>();
  constructor(init?: Record<string, unknown> | null) {
    if (init) for (const k of Object.keys(init)) this.attrs.set(k, init[k]);
  }
  get(name: string): unknown {
    if (!this.attrs.has(name)) throw new AttributeError(`'Namespace' object has no attribute '${name}'`);
    return this.attrs.get(name);
  }
  set(name: string, v: unknown): void {
    if (typeof name !== 'string') throw new TypeError(`Namespace.set: attribute name must be a string, not ${typeName(name)}`);
    this.attrs.set(name, v);
  }
  delete(name: string): void {
    if (!this.attrs.delete(name)) throw new AttributeError(`'Namespace' object has no attribute '${name}'`);
  }
  has(name: string): boolean {
    return this.attrs.has(name);
  }
  toObject(): Record<string, unknown> {
    return Object.fromEntries(this.attrs);
  }
  repr(): string {
    const parts = [...this.attrs].filter(([k]) => !k.startsWith('_')).map(([k, v]) => `${k}=${pyRepr(v)}`).sort();
    return `Namespace(${parts.join(', ')})`;
  }
}

/** The object behind a managed Value (Python's managers.Value: a typecode and a value). */
export class PyValue {
  constructor(readonly typecode: string, private value: unknown) {}
  get(): unknown {
    return this.value;
  }
  set(v: unknown): void {
    this.value = v;
  }
  repr(): string {
    return `Value(${pyRepr(this.typecode)}, ${pyRepr(this.value)})`;
  }
}

/** The object behind a managed Array: a list of fixed length and one typecode. */
export class PyArray {
  readonly items: unknown[];
  constructor(readonly typecode: string, sizeOrValues: number | Iterable<unknown>) {
    this.items = typeof sizeOrValues === 'number' ? new Array(sizeOrValues).fill(typecode === 'c' ? '\0' : 0) : [...sizeOrValues];
  }
  get(i: number): unknown {
    return this.items[index(i, this.items.length, 'get')];
  }
  set(i: number, v: unknown): void {
    this.items[index(i, this.items.length, 'set')] = v;
  }
  length(): number {
    return this.items.length;
  }
  slice(a?: number | null, b?: number | null): unknown[] {
    return this.items.slice(a ?? undefined, b ?? undefined);
  }
  toArray(): unknown[] {
    return this.items.slice();
  }
  repr(): string {
    return `array(${pyRepr(this.typecode)}, ${pyRepr(this.items)})`;
  }
}
