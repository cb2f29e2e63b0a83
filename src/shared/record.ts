// Record views: an element of a Struct-typed shared value is an object whose fields read and
// write the shared memory. Each Struct gets a view class generated from its layout (a getter
// and a setter per field, offsets inlined, one typed array per field closed over), so that
// `A.get(i).x` is a load from a Float64Array and nothing else; a guarded variant takes the
// value's lock around each field access. Whole-record writes are checked in a scratch buffer
// first and copied in one go, so bad input never leaves a record half written.
import { registerKind, SEND } from '../codec/codec.js';
import { ValueError } from '../errors.js';
import { describe } from '../util/options.js';
import { distance } from '../util/options.js';
import { type GuardLock } from './guard.js';
import { type Field, type Slot, type Struct } from './struct.js';
import { fromStored, toStored, type TypeInfo, type TypedArrayOf } from './typecodes.js';

/** Typed arrays of every kind over one buffer (the arena, or a scratch buffer). */
export interface Mem {
  readonly buffer: ArrayBufferLike;
  readonly u8: Uint8Array;
  readonly arrays: Map<string, TypedArrayOf>;
}
const mems = new WeakMap<ArrayBufferLike, Mem>();
export function memOf(buffer: ArrayBufferLike): Mem {
  let m = mems.get(buffer);
  if (!m) mems.set(buffer, (m = { buffer, u8: new Uint8Array(buffer), arrays: new Map() }));
  return m;
}
function arrayOf(mem: Mem, info: TypeInfo): TypedArrayOf {
  let a = mem.arrays.get(info.ctor.name);
  if (!a) mem.arrays.set(info.ctor.name, (a = new info.ctor(mem.buffer, 0, Math.floor(mem.buffer.byteLength / info.bytes))));
  return a;
}

export type View = object;
type ViewCtor = new (offset: number, lock: GuardLock | null) => View;
const classes = new WeakMap<Mem, Map<Struct, [ViewCtor?, ViewCtor?]>>();

/** The view class of a Struct over one memory, guarded (each field access takes the lock) or not. */
export function viewClass(struct: Struct, mem: Mem, guarded: boolean): ViewCtor {
  let byStruct = classes.get(mem);
  if (!byStruct) classes.set(mem, (byStruct = new Map()));
  let pair = byStruct.get(struct);
  if (!pair) byStruct.set(struct, (pair = [undefined, undefined]));
  return (pair[guarded ? 1 : 0] ??= makeViewClass(struct, mem, guarded));
}

const shift = { 1: '', 2: ' >>> 1', 4: ' >>> 2', 8: ' >>> 3' } as Record<number, string>;
const storable = { int: 'Number.isInteger(v)', float: "typeof v === 'number'", big: "typeof v === 'bigint'", char: 'false' };
const inspect = Symbol.for('nodejs.util.inspect.custom');

function makeViewClass(struct: Struct, mem: Mem, guarded: boolean): ViewCtor {
  const arrays: TypedArrayOf[] = [], readers: ((o: number, l: GuardLock | null) => unknown)[] = [], writers: ((o: number, v: unknown) => void)[] = [];
  const members = struct.fields.map((f, k) => {
    const key = JSON.stringify(f.name);
    readers[k] = (o, l) => readSlot(mem, f.slot, o + f.offset, l);
    writers[k] = (o, v) => writeSlot(mem, f.slot, o + f.offset, v, `${struct.name}.${f.name}`);
    let get = `return R[${k}](this.#o, this.#l);`, set = `W[${k}](this.#o, v);`;
    if (f.slot.t === 'scalar') {
      const info = f.slot.info;
      arrays[k] = arrayOf(mem, info);
      const at = `A${k}[(this.#o + ${f.offset})${shift[info.bytes]}]`;
      get = info.kind === 'char' ? `return String.fromCharCode(${at});` : `return ${at};`;
      set = `if (${storable[info.kind]}) ${at} = v; else W[${k}](this.#o, v);`;
    }
    if (guarded) {
      get = `const l = this.#l, t = l.enter(); try { ${get} } finally { l.exit(t); }`;
      set = `const l = this.#l, t = l.enter(); try { ${set} } finally { l.exit(t); }`;
    }
    return `get ${key}() { ${get} }\n  set ${key}(v) { ${set} }`;
  });
  const params = struct.fields.map((_, k) => `A${k}`);
  const body = `return class ${/^[A-Za-z_$][\w$]*$/.test(struct.name) ? struct.name : 'Record'} {
  #o; #l;
  constructor(o, l) { this.#o = o; this.#l = l; Object.preventExtensions(this); }
  ${members.join('\n  ')}
  toJSON() { return H.plain(this.#o, this.#l); }
  toString() { return H.repr(this.#o, this.#l); }
  [H.inspect]() { return H.repr(this.#o, this.#l); }
  [H.send]() { return { kind: 'shared.record', data: H.plain(this.#o, this.#l) }; }
};`;
  const helpers = {
    inspect, send: SEND,
    plain: (o: number, l: GuardLock | null) => guardedRead(l, () => plainRecord(mem, struct, o)),
    repr: (o: number, l: GuardLock | null) => guardedRead(l, () => reprRecord(mem, struct, o)),
  };
  return new Function('R', 'W', 'H', ...params, body)(readers, writers, helpers, ...arrays) as ViewCtor;
}

function guardedRead<T>(lock: GuardLock | null, fn: () => T): T {
  if (!lock) return fn();
  const took = lock.enter();
  try {
    return fn();
  } finally {
    lock.exit(took);
  }
}
// A view sent to another process arrives as a plain copy of its fields, as pickle copies a ctypes record.
registerKind('shared.record', (data) => data);

function readSlot(mem: Mem, slot: Slot, off: number, lock: GuardLock | null): unknown {
  if (slot.t === 'scalar') return fromStored(slot.info, arrayOf(mem, slot.info)[off / slot.info.bytes]);
  if (slot.t === 'struct') return new (viewClass(slot.struct, mem, lock !== null))(off, lock);
  const { of, count } = slot;
  if (of.t === 'struct') {
    const V = viewClass(of.struct, mem, lock !== null);
    return Array.from({ length: count }, (_, k) => new V(off + k * of.struct.size, lock));
  }
  if (of.info.kind === 'char') {
    const bytes = mem.u8.subarray(off, off + count);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.buffer, bytes.byteOffset, end < 0 ? count : end).toString('latin1');
  }
  return new of.info.ctor(mem.buffer, off, count);
}

function slotSize(slot: Slot): number {
  return slot.t === 'scalar' ? slot.info.bytes : slot.t === 'struct' ? slot.struct.size : slotSize(slot.of) * slot.count;
}

/** Writes one field (checked in a scratch buffer first when it is more than one scalar). */
function writeSlot(mem: Mem, slot: Slot, off: number, v: unknown, what: string): void {
  if (slot.t === 'scalar') {
    arrayOf(mem, slot.info)[off / slot.info.bytes] = toStored(slot.info, v, what);
    return;
  }
  const size = slotSize(slot);
  const scratch = memOf(new ArrayBuffer(Math.ceil(size / 8) * 8 || 8));
  encodeSlot(scratch, slot, 0, v, what);
  mem.u8.set(scratch.u8.subarray(0, size), off);
}

function encodeSlot(mem: Mem, slot: Slot, off: number, v: unknown, what: string): void {
  if (slot.t === 'scalar') {
    arrayOf(mem, slot.info)[off / slot.info.bytes] = toStored(slot.info, v, what);
    return;
  }
  if (slot.t === 'struct') return encodeRecord(mem, slot.struct, off, v, what);
  const { of, count } = slot;
  if (of.t === 'scalar' && of.info.kind === 'char' && (typeof v === 'string' || v instanceof Uint8Array)) {
    const bytes = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    if (bytes.length > count) throw new ValueError(`${what}: ${bytes.length} bytes do not fit in ${count}`);
    mem.u8.set(bytes, off);
    return;
  }
  if (v === null || typeof v !== 'object' || !(Symbol.iterator in v || 'length' in v)) {
    throw new TypeError(`${what}: expected ${of.t === 'scalar' && of.info.kind === 'char' ? 'a string' : 'an array'} of at most ${count} items, got ${describe(v)}`);
  }
  const items = Array.from(v as ArrayLike<unknown>);
  if (items.length > count) throw new ValueError(`${what}: ${items.length} items do not fit in ${count}`);
  const step = slotSize(of);
  items.forEach((x, k) => encodeSlot(mem, of, off + k * step, x, `${what}[${k}]`));
}

/** Writes a whole record given as an object of fields, a tuple in field order, or another view. */
function encodeRecord(mem: Mem, struct: Struct, off: number, v: unknown, what: string): void {
  const fields = struct.fields;
  if (Array.isArray(v)) {
    if (v.length > fields.length) throw new TypeError(`${what}: ${v.length} values for a ${struct.name} of ${fields.length} fields (${fields.map((f) => f.name).join(', ')})`);
    v.forEach((x, k) => x !== undefined && encodeSlot(mem, fields[k].slot, off + fields[k].offset, x, `${what}.${fields[k].name}`));
    return;
  }
  if (v === null || typeof v !== 'object') {
    throw new TypeError(`${what}: a ${struct.name} is written as an object of its fields or a tuple [${fields.map((f) => f.name).join(', ')}]; got ${describe(v)}`);
  }
  for (const k of Object.keys(v)) {
    if (!fields.some((f) => f.name === k)) throw new TypeError(`${what}: ${struct.name} has no field '${k}'${nearest(k, fields)} (fields: ${fields.map((f) => f.name).join(', ')})`);
  }
  for (const f of fields) {
    const x = (v as Record<string, unknown>)[f.name];
    if (x !== undefined) encodeSlot(mem, f.slot, off + f.offset, x, `${what}.${f.name}`);
  }
}

function nearest(name: string, fields: readonly Field[]): string {
  let best = '', bestDistance = 3;
  for (const f of fields) {
    const d = distance(f.name, name);
    if (d < bestDistance && d < name.length) [best, bestDistance] = [f.name, d];
  }
  return best ? `; did you mean '${best}'?` : '';
}

/** Checks `values` (records in any accepted form) and returns their bytes, laid out one after another. */
export function encodeRecords(struct: Struct, values: readonly unknown[], what: string): Uint8Array {
  const mem = memOf(new ArrayBuffer(Math.ceil((struct.size * values.length) / 8) * 8 || 8));
  values.forEach((v, k) => encodeRecord(mem, struct, k * struct.size, v, `${what}[${k}]`));
  return mem.u8.subarray(0, struct.size * values.length);
}
/** Writes one record at `off` in `mem`, checked first. */
export function writeRecord(mem: Mem, struct: Struct, off: number, v: unknown, what: string): void {
  const scratch = memOf(new ArrayBuffer(Math.ceil(struct.size / 8) * 8));
  encodeRecord(scratch, struct, 0, v, what);
  mem.u8.set(scratch.u8.subarray(0, struct.size), off);
}

function plainRecord(mem: Mem, struct: Struct, off: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of struct.fields) out[f.name] = plainSlot(mem, f.slot, off + f.offset);
  return out;
}
function plainSlot(mem: Mem, slot: Slot, off: number): unknown {
  if (slot.t === 'struct') return plainRecord(mem, slot.struct, off);
  if (slot.t === 'array') {
    const v = readSlot(mem, slot, off, null);
    if (typeof v === 'string') return v;
    return slot.of.t === 'struct' ? Array.from({ length: slot.count }, (_, k) => plainSlot(mem, slot.of, off + k * slotSize(slot.of))) : Array.from(v as ArrayLike<unknown>);
  }
  return readSlot(mem, slot, off, null);
}
function reprRecord(mem: Mem, struct: Struct, off: number): string {
  const show = (x: unknown): string => (typeof x === 'string' ? JSON.stringify(x) : typeof x === 'bigint' ? `${x}n` : Array.isArray(x) ? `[${x.map(show).join(', ')}]` : x !== null && typeof x === 'object' ? `{ ${Object.entries(x).map(([k, y]) => `${k}: ${show(y)}`).join(', ')} }` : String(x));
  return `${struct.name} ${show(plainRecord(mem, struct, off))}`;
}

type Access = (index: number, value?: unknown) => unknown;
/** Elements up to this index keep their view (reads allocate nothing); past it each read makes one. */
const CACHED = 1 << 16;
const accessMakers = new Map<Struct, (...a: unknown[]) => [Access, Access]>();
/**
 * get(i) and set(i, v) over `length` records from byte `base`: get gives the element's view
 * (the same object at every read of an index), set writes a whole record. Made from source text
 * per Struct, as array.ts does per typed array kind, so each has its own inline caches.
 */
export function recordAccessors(struct: Struct, mem: Mem, base: number, length: number, lock: GuardLock | null, at: (index: number, what: string) => number, what: string): [Access, Access] {
  let make = accessMakers.get(struct);
  if (!make) {
    make = new Function('V', 'base', 'size', 'n', 'lock', 'slow', 'write', `
      const cache = new Array(Math.min(n, ${CACHED}));
      function get(i) {
        if (i >>> 0 === i && i < n) return i < ${CACHED} ? (cache[i] ?? (cache[i] = new V(base + i * size, lock))) : new V(base + i * size, lock);
        return get(slow(i, 'get'));
      }
      function set(i, v) { write(base + slow(i, 'set') * size, v, i); }
      return [get, set];`) as (...a: unknown[]) => [Access, Access];
    accessMakers.set(struct, make);
  }
  const write = (off: number, v: unknown, i: number) => writeRecord(mem, struct, off, v, `${what}.set(${i})`);
  return make(viewClass(struct, mem, lock !== null), base, struct.size, length, lock, at, write);
}
