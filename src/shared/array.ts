// Array and RawArray: a fixed-length typed array in the family's arena (Python's
// sharedctypes.Array / RawArray). RawArray exposes `.view`, the typed array itself, for
// full-speed access; Array guards each access with its lock. Indexes may be negative, as in
// Python; out-of-range ones throw.
import { registerKind, SEND } from '../codec/codec.js';
import { ValueError } from '../errors.js';
import type { Lock } from '../sync/lock.js';
import type { RLock } from '../sync/rlock.js';
import { Attach, Primitive, registerPrimitive, type Handle } from '../sync/primitive.js';
import { describe } from '../util/options.js';
import { lockOption, type GuardLock, type ScalarOf, type SharedOptions, type Writable } from './guard.js';
import { fromStored, toStored, typeInfo, viewOf, type TypeInfo, type Typecode, type TypedArrayOf } from './typecodes.js';

type ArrayHandle = Handle & { typecode: Typecode; length: number };
type Init<C extends Typecode> = number | Iterable<Writable<C>> | ArrayLike<Writable<C>> | (C extends 'c' ? string : never);

// get() and set() are made per kind of typed array, each from its own source text, so that
// the access in them only ever sees one kind: one shared method read Int32Arrays,
// Float64Arrays, ... through the same inline cache, and in a program using RawArrays of many
// typecodes every a.get(i) became a megamorphic load, ~10x slower (measured: 45 M reads/s
// against 450 M). The fast path is an in-range index (and for set, a value needing no
// conversion); anything else takes `slow`, the general code.
type Access = (index: number, value?: unknown) => unknown;
const accessMakers = new Map<string, (view: TypedArrayOf, slow: Access) => Access>();
const readExpr = { int: 'v[i]', float: 'v[i]', big: 'v[i]', char: 'String.fromCharCode(v[i])' };
const storable = { int: 'Number.isInteger(x)', float: "typeof x === 'number'", big: "typeof x === 'bigint'", char: 'false' };
function makeAccess(op: 'get' | 'set', view: TypedArrayOf, kind: TypeInfo['kind'], slow: Access): Access {
  const key = `${op}:${view.constructor.name}:${kind}`;
  let make = accessMakers.get(key);
  if (!make) {
    const body = op === 'get'
      ? `return function get(i) { return i >>> 0 === i && i < v.length ? ${readExpr[kind]} : slow(i); };`
      : `return function set(i, x) { if (i >>> 0 === i && i < v.length && ${storable[kind]}) v[i] = x; else slow(i, x); };`;
    make = new Function('v', 'slow', body) as (view: TypedArrayOf, slow: Access) => Access;
    accessMakers.set(key, make);
  }
  return make(view, slow);
}

export class RawArray<C extends Typecode = Typecode> extends Primitive {
  static override readonly kind: string = 'shared.RawArray';
  readonly #type: TypeInfo;
  /** The typed array over the shared memory: full-speed, unguarded access. */
  readonly view: TypedArrayOf;
  /** a[index] (negative indexes count from the end); an IndexError out of range. */
  readonly get: (index: number) => ScalarOf<C>;
  /** a[index] = value, checked against the typecode. */
  readonly set: (index: number, value: Writable<C>) => void;

  /** sizeOrValues: a length (zero-filled), an iterable of values, or for 'c' a string. */
  /** label: the factory named in error messages (Array builds on RawArray). */
  constructor(typecode: C | Attach<ArrayHandle>, sizeOrValues?: Init<C>, label = 'RawArray') {
    if (typecode instanceof Attach) {
      super(typecode);
      this.#type = typeInfo(typecode.data.typecode, 'RawArray');
      this.view = viewOf(this.#type, this.i32.buffer, this.offset, typecode.data.length);
      [this.get, this.set] = this.accessors();
      return;
    }
    const type = typeInfo(typecode, label);
    const values = initialValues(type, sizeOrValues, `${label}('${type.code}', sizeOrValues)`);
    const length = typeof values === 'number' ? values : values.length;
    super(Math.max(2, Math.ceil((length * type.bytes) / 8) * 2));
    this.#type = type;
    this.view = viewOf(type, this.i32.buffer, this.offset, length);
    if (typeof values !== 'number') (this.view as unknown as { set(a: ArrayLike<number | bigint>): void }).set(values);
    [this.get, this.set] = this.accessors();
  }

  private accessors(): [(index: number) => ScalarOf<C>, (index: number, value: Writable<C>) => void] {
    const view = this.view, type = this.#type;
    const get = makeAccess('get', view, type.kind, (index) => fromStored(type, view[this.at(index, 'get')]));
    const set = makeAccess('set', view, type.kind, (index, value) => {
      view[this.at(index, 'set')] = toStored(type, value, `${this.constructor.name}.set(${index})`);
    });
    return [get as (index: number) => ScalarOf<C>, set as (index: number, value: Writable<C>) => void];
  }

  get typecode(): C {
    return this.#type.code as C;
  }
  get length(): number {
    return this.view.length;
  }

  /** Python's a[start:end]: a plain JS array of the values (negative bounds count from the end). */
  slice(start?: number, end?: number): ScalarOf<C>[] {
    return Array.from(this.view.subarray(start, end) as ArrayLike<number | bigint>, (v) => fromStored(this.#type, v) as ScalarOf<C>);
  }
  toArray(): ScalarOf<C>[] {
    return this.slice();
  }
  [Symbol.iterator](): Iterator<ScalarOf<C>> {
    return this.slice()[Symbol.iterator]();
  }
  /** For 'c' arrays (Python's .value): the bytes up to the first NUL, as a string; writing stores a string. */
  get value(): string {
    this.needChars('value');
    const v = this.view as Uint8Array;
    const end = v.indexOf(0);
    return Buffer.from(v.buffer, v.byteOffset, end < 0 ? v.length : end).toString('latin1');
  }
  set value(s: string) {
    this.needChars('value');
    const bytes = Buffer.from(String(s), 'latin1');
    const v = this.view as Uint8Array;
    if (bytes.length > v.length) throw new ValueError(`${this.constructor.name}.value: a string of ${bytes.length} bytes does not fit in ${v.length}`);
    v.set(bytes);
    if (bytes.length < v.length) v[bytes.length] = 0;
  }

  private needChars(what: string): void {
    if (this.#type.kind !== 'char') throw new TypeError(`${this.constructor.name}.${what} exists only for typecode 'c' (this one is '${this.#type.code}')`);
  }
  private at(index: number, what: string): number {
    const n = this.view.length;
    if (!Number.isInteger(index)) throw new TypeError(`${this.constructor.name}.${what}: index must be an integer, got ${describe(index)}`);
    const i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) throw new RangeError(`${this.constructor.name}.${what}: index ${index} out of range (length ${n})`);
    return i;
  }

  protected override sendData(): ArrayHandle {
    return { ...this.handle(), typecode: this.#type.code, length: this.view.length };
  }
  override toString(): string {
    return `<RawArray '${this.#type.code}' [${this.slice(0, 8).join(', ')}${this.length > 8 ? ', …' : ''}]>`;
  }
}
registerPrimitive(RawArray);

function initialValues(t: TypeInfo, init: unknown, what: string): number | (number | bigint)[] {
  if (init === undefined) throw new TypeError(`${what}: give a length or the initial values`);
  if (typeof init === 'number') {
    if (!Number.isInteger(init) || init < 0) throw new ValueError(`${what}: a length must be a non-negative integer, got ${init}`);
    return init;
  }
  if (typeof init === 'string') {
    if (t.kind !== 'char') throw new TypeError(`${what}: a string initializes only typecode 'c'`);
    return Array.from(Buffer.from(init, 'latin1'));
  }
  if (init !== null && typeof init === 'object' && (Symbol.iterator in init || 'length' in init)) {
    return Array.from(init as ArrayLike<unknown>, (v, i) => toStored(t, v, `${what}[${i}]`));
  }
  throw new TypeError(`${what}: expected a length or an iterable of values, got ${describe(init)}`);
}

/** A shared array whose every access takes its lock. */
export class SharedArray<C extends Typecode = Typecode> {
  readonly #raw: RawArray<C>;
  readonly #lock: GuardLock | null;

  /** typecode and a length or initial values, or an existing RawArray to guard. */
  constructor(typecode: C | RawArray<C>, sizeOrValues?: Init<C>, options?: SharedOptions) {
    this.#raw = typecode instanceof RawArray ? typecode : new RawArray(typecode, sizeOrValues, 'Array');
    this.#lock = lockOption(options, 'Array');
  }

  private guarded<T>(fn: (raw: RawArray<C>) => T): T {
    const lock = this.#lock;
    if (!lock) return fn(this.#raw);
    const took = lock.enter();
    try {
      return fn(this.#raw);
    } finally {
      lock.exit(took);
    }
  }

  get(index: number): ScalarOf<C> {
    const lock = this.#lock;
    if (!lock) return this.#raw.get(index);
    const took = lock.enter();
    try {
      return this.#raw.get(index);
    } finally {
      lock.exit(took);
    }
  }
  set(index: number, value: Writable<C>): void {
    this.guarded((raw) => raw.set(index, value));
  }
  slice(start?: number, end?: number): ScalarOf<C>[] {
    return this.guarded((raw) => raw.slice(start, end));
  }
  toArray(): ScalarOf<C>[] {
    return this.slice();
  }
  [Symbol.iterator](): Iterator<ScalarOf<C>> {
    return this.slice()[Symbol.iterator]();
  }
  get value(): string {
    return this.guarded((raw) => raw.value);
  }
  set value(s: string) {
    this.guarded((raw) => void (raw.value = s));
  }
  get length(): number {
    return this.#raw.length;
  }
  get typecode(): C {
    return this.#raw.typecode;
  }
  getLock(): Lock | RLock {
    if (!this.#lock) throw new ValueError('Array.getLock(): this Array was made with { lock: false } and has no lock');
    return this.#lock;
  }
  /** The unguarded RawArray over the same memory (with its `.view`). */
  getObj(): RawArray<C> {
    return this.#raw;
  }

  [SEND](): { kind: string; data: unknown } {
    return { kind: 'shared.Array', data: { raw: this.#raw, lock: this.#lock } };
  }
  toString(): string {
    return `<Synchronized wrapper for ${String(this.#raw)}>`;
  }
}
registerKind('shared.Array', (data) => {
  const d = data as { raw: RawArray; lock: GuardLock | null };
  return new SharedArray(d.raw, undefined, { lock: d.lock ?? false });
});
