// How values cross a process boundary. One byte of tag picks the cheapest path per value:
//   STR    a string, raw UTF-8 (no serializer at all)
//   NUM    a number, 8 bytes (a pool's typical result)
//   F64    a Float64Array, raw (a pool's numeric chunks)
//   BYTES  a Buffer, raw;  U8  a Uint8Array, raw (each comes back as what it was)
//   V8     anything else the structured-clone algorithm (v8.serialize) carries as is
//   MARKED the same, after a walk that replaced what structured clone would lose or refuse:
//          Errors (class chain, name, message, stack, cause, own fields), instances of classes
//          that can be named (registered, or exported from a module: classes.ts), and this
//          package's primitives (sent as handles: a Lock travels as the offset of its words in
//          the shared arena).
// Typed arrays keep their exact type at any depth (Node's DefaultSerializer writes a view's
// own bytes and its type, Buffer included; the plain Serializer wrote a Buffer's whole pooled
// slab and read it back as a Uint8Array).
// Anything that cannot be sent throws at the call, naming its path and showing the value:
// `args[1].onDone is a function (function onDone)`.
import * as v8 from 'node:v8';
import { classRef, errorChain, shared, resolveLater, resolveNow, type ClassRef, type Cls } from './classes.js';
import { reviveError } from './errors.js';
import { SendError } from '../errors.js';

export { asRemoteError } from './errors.js';

export { registerClass } from './classes.js';

const STR = 0, BYTES = 1, V8 = 2, MARKED = 3, NUM = 4, F64 = 5, U8 = 6;
/** Added to V8 or MARKED: typed arrays inside. */
const VIEWS = 0x10;
const MARK = '\u0000mpts';

/** Implemented by every sendable primitive: its handle is plain data. */
export const SEND = Symbol.for('mpts.send');
export interface Sendable {
  [SEND](): { kind: string; data: unknown };
}
type Reviver = (data: unknown) => unknown;
const revivers = shared('mpts.codec.kinds', () => new Map<string, Reviver>());

/** A primitive kind registers how to rebuild itself from its handle. */
export function registerKind(kind: string, revive: Reviver): void {
  revivers.set(kind, revive);
}


interface Walk {
  marked: boolean;
  /** Typed arrays inside: the reader needs Node's (slower to make) DefaultDeserializer. */
  views: boolean;
  seen: Map<object, unknown>;
}

function fail(path: string, what: string, hint = ''): never {
  throw new SendError(`${path} ${what} and cannot be sent to another process${hint}`);
}

function prepare(v: unknown, path: string, w: Walk): unknown {
  switch (typeof v) {
    case 'string': case 'number': case 'boolean': case 'bigint': case 'undefined':
      return v;
    case 'function':
      return fail(path, `is a function (${show(v)})`, '; pass data, or an exported function as a Process/Pool target');
    case 'symbol':
      return fail(path, `is a symbol (${show(v)})`);
  }
  if (v === null) return v;
  const o = v as object;
  if (w.seen.has(o)) return w.seen.get(o);
  if (ArrayBuffer.isView(o)) {
    w.views = true;
    return o;
  }
  if (o instanceof ArrayBuffer || o instanceof Date || o instanceof RegExp) return o;
  if (typeof SharedArrayBuffer !== 'undefined' && o instanceof SharedArrayBuffer) {
    return fail(path, 'is a SharedArrayBuffer', '; use mp.RawArray, mp.Array or mp.SharedMemory, which work across processes');
  }
  const send = (o as Partial<Sendable>)[SEND];
  if (typeof send === 'function') {
    w.marked = true;
    const h = send.call(o);
    const out = { [MARK]: 'h', kind: h.kind, data: prepare(h.data, path, w) };
    w.seen.set(o, out);
    return out;
  }
  if (o instanceof Error) return prepareError(o, path, w);
  if (o instanceof Promise) return fail(path, 'is a Promise', '; await it first');
  if (o instanceof WeakMap || o instanceof WeakSet) return fail(path, `is a ${o.constructor.name}`);
  if (Array.isArray(o)) {
    let out: unknown[] | undefined;
    w.seen.set(o, o);
    for (let i = 0; i < o.length; i++) {
      const x = o[i];
      if (x === null || (typeof x !== 'object' && typeof x !== 'function' && typeof x !== 'symbol')) {
        if (out) out[i] = x;
        continue;
      }
      const y = prepare(x, `${path}[${i}]`, w);
      if (y !== x && !out) {
        out = o.slice(0, i);
        w.seen.set(o, out);
      }
      if (out) out[i] = y;
    }
    return out ?? o;
  }
  if (o instanceof Map) {
    w.seen.set(o, o);
    let changed = false;
    const entries: [unknown, unknown][] = [];
    for (const [k, x] of o) {
      const pk = prepare(k, `${path}.<key ${String(k)}>`, w);
      const px = prepare(x, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : String(k)})`, w);
      if (pk !== k || px !== x) changed = true;
      entries.push([pk, px]);
    }
    if (!changed) return o;
    const out = new Map(entries);
    w.seen.set(o, out);
    return out;
  }
  if (o instanceof Set) {
    w.seen.set(o, o);
    let changed = false;
    const items: unknown[] = [];
    for (const x of o) {
      const px = prepare(x, `${path}.<item>`, w);
      if (px !== x) changed = true;
      items.push(px);
    }
    if (!changed) return o;
    const out = new Set(items);
    w.seen.set(o, out);
    return out;
  }
  const proto = Object.getPrototypeOf(o);
  const ref = proto === Object.prototype || proto === null ? null : refOfProto(proto);
  if (ref) {
    w.marked = true;
    const fields: Record<string, unknown> = {};
    const out = { [MARK]: 'c', ref, fields };
    w.seen.set(o, out);
    for (const k of Object.keys(o)) fields[k] = prepare((o as Record<string, unknown>)[k], `${path}.${k}`, w);
    return out;
  }
  // A plain object (or one of a class that cannot be named, which goes as a plain object).
  w.seen.set(o, o);
  let out: Record<string, unknown> | undefined;
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    const x = rec[k];
    if (x === null || (typeof x !== 'object' && typeof x !== 'function' && typeof x !== 'symbol')) {
      if (out) out[k] = x;
      continue;
    }
    const y = prepare(x, `${path}.${k}`, w);
    if (y !== x && !out) {
      out = {};
      for (const k2 of Object.keys(rec)) {
        if (k2 === k) break;
        out[k2] = rec[k2];
      }
      w.seen.set(o, out);
    }
    if (out) out[k] = y;
  }
  return out ?? o;
}

/** The class of an object's prototype, if it can be named across the boundary. */
function refOfProto(proto: object): ClassRef | null {
  const ctor = Object.prototype.hasOwnProperty.call(proto, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined;
  if (typeof ctor !== 'function' || ctor.prototype !== proto) return null;
  return classRef(ctor as Cls);
}

/** A function or symbol that cannot be sent, shown for the user to find it. */
function show(v: symbol | Function): string {
  if (typeof v === 'symbol') return v.toString();
  const text = Function.prototype.toString.call(v);
  const kind = text.startsWith('class') ? 'class' : text.startsWith('async') ? 'async function' : 'function';
  if (v.name) return `${kind} ${v.name}`;
  const short = text.replace(/\s+/g, ' ');
  return short.length > 60 ? `${short.slice(0, 57)}...` : short;
}

function prepareError(e: Error, path: string, w: Walk): unknown {
  w.marked = true;
  // Its class: the constructor of the first prototype that is some class's own (Node's
  // internal errors put a prototype of their own in front of RangeError's, say).
  let ctor: Cls | null = null;
  for (let p = Object.getPrototypeOf(e) as object | null; p && !ctor; p = Object.getPrototypeOf(p) as object | null) {
    const c = Object.prototype.hasOwnProperty.call(p, 'constructor') ? (p as { constructor: unknown }).constructor : undefined;
    if (typeof c === 'function' && c.prototype === p) ctor = c as Cls;
  }
  const fields: Record<string, unknown> = {};
  const out: Record<string, unknown> = {
    [MARK]: 'e',
    chain: ctor ? errorChain(ctor) : [null, { b: 'Error' }],
    name: String(e.name),
    message: String(e.message),
    stack: e.stack,
    fields,
  };
  w.seen.set(e, out);
  if ('cause' in e) out.cause = prepareLenient(e.cause, `${path}.cause`, w);
  if (e instanceof AggregateError) out.errors = prepareLenient(e.errors, `${path}.errors`, w);
  // Own fields, an own `name` among them (kept as it was: `this.name = ...` in a constructor).
  for (const k of Object.keys(e)) {
    if (k === 'message' || k === 'stack' || k === 'cause') continue;
    fields[k] = prepareLenient((e as unknown as Record<string, unknown>)[k], `${path}.${k}`, w);
  }
  return out;
}

/** Inside an error, a field that cannot be sent is described rather than failing the error. */
function prepareLenient(v: unknown, path: string, w: Walk): unknown {
  try {
    return prepare(v, path, w);
  } catch (err) {
    if (err instanceof SendError) return `[unsendable: ${err.message}]`;
    throw err;
  }
}

function revive(v: unknown, seen: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return seen.get(v);
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  if (Array.isArray(v)) {
    seen.set(v, v);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object') v[i] = revive(x, seen);
    }
    return v;
  }
  if (v instanceof Map) {
    seen.set(v, v);
    const entries = [...v].map(([k, x]) => [revive(k, seen), revive(x, seen)] as const);
    v.clear();
    for (const [k, x] of entries) v.set(k, x);
    return v;
  }
  if (v instanceof Set) {
    seen.set(v, v);
    const items = [...v].map((x) => revive(x, seen));
    v.clear();
    for (const x of items) v.add(x);
    return v;
  }
  const rec = v as Record<string, unknown>;
  const mark = rec[MARK];
  if (mark === 'h') {
    const reviver = revivers.get(rec.kind as string);
    if (!reviver) throw new TypeError(`received a ${String(rec.kind)} handle, but this process has not loaded that kind`);
    const out = reviver(revive(rec.data, seen));
    seen.set(v, out);
    return out;
  }
  if (mark === 'e') return reviveError(rec, seen, revive);
  if (mark === 'c') {
    const ref = rec.ref as ClassRef;
    const cls = resolveNow(ref);
    const out: Record<string, unknown> = cls ? Object.create(cls.prototype) : {};
    // Its module is being imported: it gets its class's prototype then.
    if (cls === undefined) resolveLater([ref], (_i, c) => Object.setPrototypeOf(out, c.prototype));
    seen.set(v, out);
    const fields = rec.fields as Record<string, unknown>;
    for (const k of Object.keys(fields)) out[k] = revive(fields[k], seen);
    return out;
  }
  seen.set(v, v);
  for (const k of Object.keys(rec)) {
    const x = rec[k];
    if (x !== null && typeof x === 'object') rec[k] = revive(x, seen);
  }
  return v;
}

/**
 * encode() as pieces to be written one after another: a Float64Array is not copied into a
 * buffer of its own first (a pool's chunks are written straight into the pipe).
 */
export function encodeParts(value: unknown, path = 'value'): Uint8Array[] {
  if (value instanceof Float64Array) {
    const head = Buffer.alloc(8);
    head[0] = F64;
    return [head, new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
  }
  return [encode(value, path)];
}

/**
 * @internal encodeParts() for a value written out before anything can change it (a pool
 * worker's result): a byte array is not copied either, its own memory is written to the pipe.
 */
export function encodeNow(value: unknown, path = 'value'): Uint8Array[] {
  if (value instanceof Uint8Array && (value.constructor === Uint8Array || value instanceof Buffer)) return [Buffer.of(BYTES), value];
  return encodeParts(value, path);
}

/** @internal Encodes one value. `path` names it in errors ('args', 'item', 'result'...). */
export function encode(value: unknown, path = 'value'): Buffer {
  if (typeof value === 'number') {
    const out = Buffer.allocUnsafe(9);
    out[0] = NUM;
    out.writeDoubleLE(value, 1);
    return out;
  }
  if (value instanceof Float64Array) return Buffer.concat(encodeParts(value));
  if (typeof value === 'string') {
    const out = Buffer.allocUnsafe(1 + Buffer.byteLength(value));
    out[0] = STR;
    out.write(value, 1);
    return out;
  }
  if (value instanceof Uint8Array) {
    const c = value.constructor;
    if (c === Buffer || c === Uint8Array) {
      const out = Buffer.allocUnsafe(1 + value.byteLength);
      out[0] = c === Buffer ? BYTES : U8;
      out.set(value, 1);
      return out;
    }
  }
  const w: Walk = { marked: false, views: false, seen: new Map() };
  const prepared = prepare(value, path, w);
  const ser = new v8.DefaultSerializer();
  ser.writeRawBytes(Buffer.of((w.marked ? MARKED : V8) | (w.views ? VIEWS : 0)));
  ser.writeHeader();
  try {
    ser.writeValue(prepared);
  } catch (e) {
    fail(path, `contains a value that structured clone refuses (${(e as Error).message})`);
  }
  return ser.releaseBuffer();
}

/** `owned`: buf is the caller's to give away (a streamed message): a byte array is a view of it, not a copy. */
export function decode(buf: Uint8Array, owned = false): unknown {
  switch (buf[0]) {
    case STR:
      return Buffer.from(buf.buffer, buf.byteOffset + 1, buf.byteLength - 1).toString('utf8');
    case BYTES:
      return owned ? Buffer.from(buf.buffer, buf.byteOffset + 1, buf.byteLength - 1) : Buffer.from(buf.subarray(1));
    case U8:
      return new Uint8Array(buf.subarray(1));
    case F64: {
      // Copied out to an aligned buffer of its own (the frame may sit at any offset).
      const bytes = new Uint8Array(buf.byteLength - 8);
      bytes.set(buf.subarray(8));
      return new Float64Array(bytes.buffer);
    }
    case NUM:
      return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readDoubleLE(1);
    case V8:
    case V8 | VIEWS:
      return deserialize(buf, false, buf[0] === (V8 | VIEWS));
    case MARKED:
    case MARKED | VIEWS:
      return deserialize(buf, true, buf[0] === (MARKED | VIEWS));
    default:
      throw new TypeError(`cannot decode a message with tag ${buf[0]}: the two sides run different versions of multiprocessing-ts`);
  }
}

/**
 * Node's reader of typed arrays, which would leave a view into its input (here often the
 * ring, overwritten by the next message): each gets bytes of its own.
 */
class Reader extends v8.DefaultDeserializer {
  _readHostObject(): unknown {
    const view = (v8.DefaultDeserializer.prototype as unknown as { _readHostObject(this: Reader): ArrayBufferView })._readHostObject.call(this);
    if (view instanceof Buffer) return Buffer.from(view);
    if (view instanceof DataView) return new DataView(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
    const Ctor = view.constructor as new (from: ArrayBufferView) => ArrayBufferView;
    return new Ctor(view);
  }
}

function deserialize(buf: Uint8Array, marked: boolean, views: boolean): unknown {
  const des = views ? new Reader(buf.subarray(1)) : new v8.Deserializer(buf.subarray(1));
  des.readHeader();
  const v = des.readValue();
  return marked ? revive(v, new Map()) : v;
}

/** Checks that a value can be sent, throwing the same error encode() would. */
export function checkSendable(value: unknown, path: string): void {
  prepare(value, path, { marked: false, views: false, seen: new Map() });
}
