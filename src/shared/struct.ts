// Struct: a fixed-layout record type declared from typecodes (ctypes' Structure), accepted by
// Value, Array, RawValue and RawArray wherever a typecode is. This file owns the declaration
// and its C layout (offsets, size and alignment exactly as ctypes computes them on 64-bit
// Linux), and the plain-data layout a record type travels as, so that a child that receives a
// shared record needs no declaration of its own.
import { ValueError } from '../errors.js';
import { checkOptions, describe } from '../util/options.js';
import { typeInfo, type Typecode, type TypeInfo, type TypedArrayOf } from './typecodes.js';

type BigCodes = 'l' | 'L' | 'q' | 'Q' | 'BigInt64' | 'BigUint64';
/** What reading gives: bigint for 64-bit integers, a one-character string for 'c', a view for a Struct. */
export type ScalarOf<C extends Code> = C extends Struct<infer F> ? StructView<F> : C extends 'c' ? string : C extends BigCodes ? bigint : number;
/** What writing accepts: numbers are accepted for the 64-bit integer codes too; a record as an object or a tuple. */
export type Writable<C extends Code> = C extends Struct<infer F> ? StructInit<F> : C extends BigCodes ? bigint | number : ScalarOf<C>;

/** A field: a typecode, a nested Struct, or a fixed-length array of either (`['B', 8]`). */
export type FieldType = Typecode | Struct | readonly [Typecode | Struct, number];
export type Fields = { readonly [name: string]: FieldType };

type TypedArrayFor<C extends Typecode> = C extends 'b' | 'Int8' ? Int8Array : C extends 'B' | 'c' | 'Uint8' ? Uint8Array
  : C extends 'h' | 'Int16' ? Int16Array : C extends 'H' | 'Uint16' ? Uint16Array : C extends 'i' | 'Int32' ? Int32Array
  : C extends 'I' | 'Uint32' ? Uint32Array : C extends 'f' | 'Float32' ? Float32Array : C extends 'd' | 'Float64' ? Float64Array
  : C extends 'l' | 'q' | 'BigInt64' ? BigInt64Array : C extends 'L' | 'Q' | 'BigUint64' ? BigUint64Array : TypedArrayOf;
/** What reading a field gives: a scalar, a view of the nested record, a typed array over the memory ('c': a string). */
export type FieldValue<T> = T extends Typecode ? ScalarOf<T>
  : T extends Struct<infer G> ? StructView<G>
  : T extends readonly ['c', number] ? string
  : T extends readonly [infer E extends Typecode, number] ? TypedArrayFor<E>
  : T extends readonly [Struct<infer G>, number] ? StructView<G>[] : never;
/** What writing a field accepts. */
export type FieldInit<T> = T extends Typecode ? Writable<T>
  : T extends Struct<infer G> ? StructInit<G>
  : T extends readonly ['c', number] ? string
  : T extends readonly [infer E extends Typecode, number] ? ArrayLike<Writable<E>> | Iterable<Writable<E>>
  : T extends readonly [Struct<infer G>, number] ? readonly StructInit<G>[] : never;
/** An element of a record type: its fields read and write the shared memory. */
export type StructView<F extends Fields = Fields> = { -readonly [K in keyof F]: FieldValue<F[K]> };
/** A whole record as written: an object of fields (missing ones are zero) or a tuple in field order. */
export type StructInit<F extends Fields = Fields> = { readonly [K in keyof F]?: FieldInit<F[K]> } | readonly unknown[];

/** How one field is stored. */
export type Slot =
  | { readonly t: 'scalar'; readonly info: TypeInfo }
  | { readonly t: 'struct'; readonly struct: Struct }
  | { readonly t: 'array'; readonly of: { t: 'scalar'; info: TypeInfo } | { t: 'struct'; struct: Struct }; readonly count: number };
export interface Field {
  readonly name: string;
  readonly offset: number;
  readonly slot: Slot;
}
/** The plain-data form of a record type (what travels with a shared value). */
export type Layout = { name: string; fields: [string, LayoutType][] };
type LayoutType = string | Layout | [string | Layout, number];

const byKey = new Map<string, Struct>();
const reserved = new Set(['constructor', 'toJSON', 'toString', 'valueOf', 'then', '__proto__', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString']);

export class Struct<F extends Fields = Fields> {
  /** The name shown in messages and by a view's toString(). */
  readonly name!: string;
  /** Bytes per record, padding included (ctypes.sizeof). */
  readonly size!: number;
  /** The record's alignment (ctypes.alignment). */
  readonly align!: number;
  /** Each field's byte offset in the record (ctypes' Point.x.offset). */
  readonly offsets!: { readonly [K in keyof F]: number };
  readonly fields!: readonly Field[];
  readonly layout!: Layout;
  /** The fields as declared. */
  readonly spec!: F;

  /** Declares a record type; `options.name` names it (default 'Struct'). Identical declarations give the same Struct. */
  constructor(fields: F, options?: { name?: string }) {
    checkOptions(options, ['name'], 'Struct');
    const name = options?.name ?? 'Struct';
    if (typeof name !== 'string' || !name) throw new TypeError(`Struct: option name must be a non-empty string, got ${describe(name)}`);
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
      throw new TypeError(`Struct(fields): expected an object of field names to typecodes, e.g. { x: 'd', y: 'd' }; got ${describe(fields)}`);
    }
    const entries = Object.entries(fields);
    if (entries.length === 0) throw new ValueError('Struct(fields): a record needs at least one field');
    const layout: Layout = { name, fields: [] };
    const out: Field[] = [];
    let offset = 0, align = 1;
    for (const [field, spec] of entries) {
      if (!/^[A-Za-z_$][\w$]*$/.test(field) || reserved.has(field)) throw new ValueError(`Struct(fields): ${JSON.stringify(field)} cannot be a field name (use an identifier other than ${[...reserved].slice(0, 5).join(', ')}, ...)`);
      const what = `Struct(fields).${field}`;
      const slot = slotOf(spec, what);
      const [size, a] = sizeAlign(slot);
      offset = Math.ceil(offset / a) * a;
      out.push({ name: field, offset, slot });
      layout.fields.push([field, layoutOf(slot)]);
      offset += size;
      align = Math.max(align, a);
    }
    const key = JSON.stringify(layout);
    const known = byKey.get(key);
    if (known) return known as unknown as Struct<F>;
    this.name = name;
    this.spec = fields;
    this.fields = out;
    this.align = align;
    this.size = Math.ceil(offset / align) * align;
    this.offsets = Object.fromEntries(out.map((f) => [f.name, f.offset])) as Struct<F>['offsets'];
    this.layout = layout;
    Object.freeze(this);
    byKey.set(key, this as unknown as Struct);
  }

  toString(): string {
    return `<Struct ${this.name} { ${this.fields.map((f) => `${f.name}: ${describeSlot(f.slot)} @${f.offset}`).join(', ')} } size ${this.size}>`;
  }
}

function slotOf(spec: unknown, what: string): Slot {
  if (spec instanceof Struct) return { t: 'struct', struct: spec };
  if (Array.isArray(spec)) {
    const [of, count] = spec as unknown[];
    if (spec.length !== 2 || !Number.isInteger(count) || (count as number) < 0) {
      throw new TypeError(`${what}: an array field is [typecode or Struct, length], e.g. ['B', 8]; got ${JSON.stringify(spec)}`);
    }
    const inner = slotOf(of, `${what}[0]`);
    if (inner.t === 'array') throw new TypeError(`${what}: an array field holds typecodes or Structs, not arrays`);
    return { t: 'array', of: inner, count: count as number };
  }
  if (typeof spec === 'string') return { t: 'scalar', info: typeInfo(spec, what) };
  throw new TypeError(`${what}: a field is a typecode, a Struct or [typecode, length]; got ${describe(spec)}`);
}

function sizeAlign(slot: Slot): [number, number] {
  if (slot.t === 'scalar') return [slot.info.bytes, slot.info.bytes];
  if (slot.t === 'struct') return [slot.struct.size, slot.struct.align];
  const [size, align] = sizeAlign(slot.of);
  return [size * slot.count, align];
}

function layoutOf(slot: Slot): LayoutType {
  if (slot.t === 'scalar') return slot.info.code;
  if (slot.t === 'struct') return slot.struct.layout;
  return [layoutOf(slot.of) as string | Layout, slot.count];
}

function describeSlot(slot: Slot): string {
  if (slot.t === 'scalar') return `'${slot.info.code}'`;
  if (slot.t === 'struct') return slot.struct.name;
  return `[${describeSlot(slot.of)}, ${slot.count}]`;
}

/** The record type a received layout describes (the same Struct as an identical local declaration). */
export function structFromLayout(layout: Layout): Struct {
  const known = byKey.get(JSON.stringify(layout));
  if (known) return known;
  const fields: Record<string, FieldType> = {};
  const typeOf = (t: LayoutType): FieldType => (typeof t === 'string' ? (t as Typecode) : Array.isArray(t) ? [typeOf(t[0]) as Typecode | Struct, t[1]] : structFromLayout(t));
  for (const [name, t] of layout.fields) fields[name] = typeOf(t);
  return new Struct(fields, { name: layout.name });
}

/** A typecode or a Struct: what Value/Array/RawValue/RawArray accept. */
export type Code = Typecode | Struct;
