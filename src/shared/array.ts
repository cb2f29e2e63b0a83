// Array and RawArray: a fixed-length array of numbers, or of Struct records, in the family's
// arena (Python's sharedctypes.Array / RawArray). RawArray exposes `.view`, the typed array
// itself (for records, their bytes), for full-speed access; Array guards each access with its
// lock, and with `lock: false` the factory returns the RawArray itself, as Python does. Indexes
// may be negative, as in Python; out-of-range ones throw. `arr[i]` works as Python's (see
// index-access.ts).
import { registerKind, SEND } from '../codec/codec.js';
import { ValueError } from '../errors.js';
import type { Lock } from '../sync/lock.js';
import type { RLock } from '../sync/rlock.js';
import { Attach, Primitive, registerPrimitive, type Handle } from '../sync/primitive.js';
import { checkOptions, describe } from '../util/options.js';
import { lockOption, type GuardLock, type ScalarOf, type SharedOptions, type Writable } from './guard.js';
import { indexable } from './index-access.js';
import { encodeRecords, memOf, recordAccessors, type Mem } from './record.js';
import { Struct, structFromLayout, type Code, type Layout } from './struct.js';
import { fromStored, toStored, typeInfo, viewOf, type TypeInfo, type Typecode, type TypedArrayOf } from './typecodes.js';

type ArrayHandle = Handle & { typecode: Typecode | Layout; length: number };
type Init<C extends Code> = number | Iterable<Writable<C>> | ArrayLike<Writable<C>> | (C extends 'c' ? string : never);

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

export class RawArray<C extends Code = Code> extends Primitive {
  static override readonly kind: string = 'shared.RawArray';
  readonly #type: TypeInfo | null = null;
  readonly #rec: { struct: Struct; mem: Mem } | null = null;
  readonly #length: number;
  /** The typed array over the shared memory: full-speed, unguarded access (for records, a Uint8Array of their bytes). */
  readonly view: TypedArrayOf;
  /** a[index] (negative indexes count from the end); an IndexError out of range. For records, the element's view. */
  readonly get: (index: number) => ScalarOf<C>;
  /** a[index] = value, checked against the typecode (a record: an object of fields or a tuple). */
  readonly set: (index: number, value: Writable<C>) => void;
  /** `a[i]` reads and writes the element, as get(i) and set(i, v). */
  [index: number]: ScalarOf<C>;

  /** sizeOrValues: a length (zero-filled), an iterable of values, or for 'c' a string. */
  /** label: the factory named in error messages (Array builds on RawArray). */
  constructor(typecode: C | Attach<ArrayHandle>, sizeOrValues?: Init<C>, label = 'RawArray') {
    const code = typecode instanceof Attach ? typecode.data.typecode : typecode;
    if (code instanceof Struct || (code !== null && typeof code === 'object')) {
      const struct = code instanceof Struct ? code : structFromLayout(code as Layout);
      let length: number;
      if (typecode instanceof Attach) {
        super(typecode);
        length = typecode.data.length;
      } else {
        const what = `${label}(${struct.name}, sizeOrValues)`;
        const bytes = typeof sizeOrValues === 'number' ? null : encodeRecords(struct, recordList(sizeOrValues, what), what);
        length = bytes ? bytes.length / struct.size : checkLength(sizeOrValues, what);
        super(Math.max(2, Math.ceil((length * struct.size) / 8) * 2));
        if (bytes) new Uint8Array(this.i32.buffer, this.offset, bytes.length).set(bytes);
      }
      const mem = memOf(this.i32.buffer);
      this.#rec = { struct, mem };
      this.view = new Uint8Array(this.i32.buffer, this.offset, length * struct.size);
      [this.get, this.set] = recordAccessors(struct, mem, this.offset, length, null, (i, what) => this.at(i, what), label) as [RawArray<C>['get'], RawArray<C>['set']];
      this.#length = length;
      return;
    }
    if (typecode instanceof Attach) {
      super(typecode);
      this.#type = typeInfo(typecode.data.typecode, 'RawArray');
      this.view = viewOf(this.#type, this.i32.buffer, this.offset, typecode.data.length);
      [this.get, this.set] = this.accessors(this.#type);
      this.#length = this.view.length;
      return;
    }
    const type = typeInfo(code, label);
    const values = initialValues(type, sizeOrValues, `${label}('${type.code}', sizeOrValues)`);
    const length = typeof values === 'number' ? values : values.length;
    super(Math.max(2, Math.ceil((length * type.bytes) / 8) * 2));
    this.#type = type;
    this.view = viewOf(type, this.i32.buffer, this.offset, length);
    if (typeof values !== 'number') (this.view as unknown as { set(a: ArrayLike<number | bigint>): void }).set(values);
    [this.get, this.set] = this.accessors(type);
    this.#length = length;
  }

  private accessors(type: TypeInfo): [(index: number) => ScalarOf<C>, (index: number, value: Writable<C>) => void] {
    const view = this.view;
    const get = makeAccess('get', view, type.kind, (index) => fromStored(type, view[this.at(index, 'get')]));
    const set = makeAccess('set', view, type.kind, (index, value) => {
      view[this.at(index, 'set')] = toStored(type, value, `${this.constructor.name}.set(${index})`);
    });
    return [get as (index: number) => ScalarOf<C>, set as (index: number, value: Writable<C>) => void];
  }

  /** The typecode, or the Struct, this array was made with. */
  get typecode(): C {
    return (this.#rec ? this.#rec.struct : this.#type!.code) as C;
  }
  /** How many elements. */
  get length(): number {
    return this.#length;
  }

  /** Python's a[start:end]: a plain JS array of the values, or of record views (negative bounds count from the end). */
  slice(start?: number, end?: number): ScalarOf<C>[] {
    if (this.#rec) return indexes(this.length).slice(start, end).map((i) => this.get(i));
    return Array.from(this.view.subarray(start, end) as ArrayLike<number | bigint>, (v) => fromStored(this.#type!, v) as ScalarOf<C>);
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

  /** The elements' views, each field access taking `lock` (what an Array of a Struct gives); null for numbers. */
  guardedGet(lock: GuardLock): ((index: number) => ScalarOf<C>) | null {
    const rec = this.#rec;
    if (!rec) return null;
    return recordAccessors(rec.struct, rec.mem, this.offset, this.length, lock, (i, what) => this.at(i, what), 'Array')[0] as (index: number) => ScalarOf<C>;
  }

  private needChars(what: string): void {
    if (this.#type?.kind !== 'char') throw new TypeError(`${this.constructor.name}.${what} exists only for typecode 'c' (this one is ${this.#rec ? this.#rec.struct.name : `'${this.#type!.code}'`})`);
  }
  private at(index: number, what: string): number {
    const n = this.length;
    if (!Number.isInteger(index)) throw new TypeError(`${this.constructor.name}.${what}: index must be an integer, got ${describe(index)}`);
    const i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) throw new RangeError(`${this.constructor.name}.${what}: index ${index} out of range (length ${n})`);
    return i;
  }

  protected override sendData(): ArrayHandle {
    return { ...this.handle(), typecode: this.#rec ? this.#rec.struct.layout : this.#type!.code, length: this.length };
  }
  override toString(): string {
    const name = this.#rec ? this.#rec.struct.name : `'${this.#type!.code}'`;
    return `<RawArray ${name} [${this.slice(0, 8).map(String).join(', ')}${this.length > 8 ? ', …' : ''}]>`;
  }
}
registerPrimitive(RawArray);
indexable(RawArray);

function indexes(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
function checkLength(n: unknown, what: string): number {
  if (!Number.isInteger(n) || (n as number) < 0) throw new ValueError(`${what}: a length must be a non-negative integer, got ${describe(n)}`);
  return n as number;
}
function recordList(init: unknown, what: string): unknown[] {
  if (init === undefined) throw new TypeError(`${what}: give a length or the initial records`);
  if (init !== null && typeof init === 'object' && (Symbol.iterator in init || 'length' in init)) return Array.from(init as ArrayLike<unknown>);
  throw new TypeError(`${what}: expected a length or an iterable of records (objects or tuples), got ${describe(init)}`);
}

function initialValues(t: TypeInfo, init: unknown, what: string): number | (number | bigint)[] {
  if (init === undefined) throw new TypeError(`${what}: give a length or the initial values`);
  if (typeof init === 'number') return checkLength(init, what);
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
export class SharedArray<C extends Code = Code> {
  readonly #raw!: RawArray<C>;
  readonly #lock!: GuardLock;
  /** For records: the guarded views' getter (getting a view reads nothing, its fields take the lock). */
  readonly #records!: ((index: number) => ScalarOf<C>) | null;
  /** `a[i]` reads and writes the element under the lock, as get(i) and set(i, v). */
  [index: number]: ScalarOf<C>;

  /**
   * typecode (or Struct) and a length or initial values, or an existing RawArray to guard. With
   * `{ lock: false }` this returns the RawArray itself, as Python's Array(..., lock=False) does.
   */
  constructor(typecode: C | RawArray<C>, sizeOrValues?: Init<C>, options?: SharedOptions) {
    checkOptions(options, ['lock'], 'Array');
    const raw = typecode instanceof RawArray ? typecode : new RawArray(typecode, sizeOrValues, 'Array');
    const lock = lockOption(options, 'Array');
    if (!lock) return raw as unknown as SharedArray<C>;
    this.#raw = raw;
    this.#lock = lock;
    this.#records = raw.guardedGet(lock);
  }

  private guarded<T>(fn: (raw: RawArray<C>) => T): T {
    const lock = this.#lock;
    const took = lock.enter();
    try {
      return fn(this.#raw);
    } finally {
      lock.exit(took);
    }
  }

  get(index: number): ScalarOf<C> {
    if (this.#records) return this.#records(index);
    const lock = this.#lock;
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
    const records = this.#records;
    if (records) return indexes(this.length).slice(start, end).map(records);
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
  /** The lock guarding this array (hold it across a whole update: `a.getLock().withSync(...)`). */
  getLock(): Lock | RLock {
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
indexable(SharedArray);
registerKind('shared.Array', (data) => {
  const d = data as { raw: RawArray; lock: GuardLock };
  return new SharedArray(d.raw, undefined, { lock: d.lock });
});
