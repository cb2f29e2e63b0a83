// Typecodes of shared values: Python's array codes (sizes as on 64-bit Linux, where C long is
// 8 bytes) and the names of JS typed arrays. Each knows its typed array, how to check a value
// written into it (Python raises TypeError where ctypes would refuse), and how to read one out.
import { describe } from '../util/options.js';

type TypedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
export type TypedArrayOf = TypedArray;
type Ctor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray; BYTES_PER_ELEMENT: number };

export type PythonTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd' | 'c';
export type JsTypecode = 'Int8' | 'Uint8' | 'Int16' | 'Uint16' | 'Int32' | 'Uint32' | 'Float32' | 'Float64' | 'BigInt64' | 'BigUint64';
export type Typecode = PythonTypecode | JsTypecode;
/** What a read gives for each kind of typecode. */
export type Scalar = number | bigint | string;

export interface TypeInfo {
  readonly code: Typecode;
  readonly ctor: Ctor;
  readonly kind: 'int' | 'float' | 'big' | 'char';
  readonly bytes: number;
}

const table: Record<Typecode, [Ctor, TypeInfo['kind']]> = {
  b: [Int8Array, 'int'], B: [Uint8Array, 'int'], h: [Int16Array, 'int'], H: [Uint16Array, 'int'],
  i: [Int32Array, 'int'], I: [Uint32Array, 'int'], l: [BigInt64Array, 'big'], L: [BigUint64Array, 'big'],
  q: [BigInt64Array, 'big'], Q: [BigUint64Array, 'big'], f: [Float32Array, 'float'], d: [Float64Array, 'float'],
  c: [Uint8Array, 'char'],
  Int8: [Int8Array, 'int'], Uint8: [Uint8Array, 'int'], Int16: [Int16Array, 'int'], Uint16: [Uint16Array, 'int'],
  Int32: [Int32Array, 'int'], Uint32: [Uint32Array, 'int'], Float32: [Float32Array, 'float'], Float64: [Float64Array, 'float'],
  BigInt64: [BigInt64Array, 'big'], BigUint64: [BigUint64Array, 'big'],
};

export function typeInfo(code: unknown, what: string): TypeInfo {
  const row = typeof code === 'string' && Object.hasOwn(table, code) ? table[code as Typecode] : undefined;
  if (!row) {
    throw new TypeError(`${what}: unknown typecode ${describe(code)}; use one of ${Object.keys(table).map((c) => `'${c}'`).join(' ')}`);
  }
  return { code: code as Typecode, ctor: row[0], kind: row[1], bytes: row[0].BYTES_PER_ELEMENT };
}

/** The stored form of a value: checked, so that bad input fails at the call that wrote it. */
export function toStored(t: TypeInfo, v: unknown, what: string): number | bigint {
  switch (t.kind) {
    case 'int':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      break;
    case 'float':
      if (typeof v === 'number') return v;
      break;
    case 'big':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      break;
    case 'char':
      if (typeof v === 'string' && v.length === 1 && v.charCodeAt(0) < 256) return v.charCodeAt(0);
      if (v instanceof Uint8Array && v.length === 1) return v[0];
      throw new TypeError(`${what}: typecode 'c' holds one byte, given as a one-character string (code < 256); got ${describe(v)}`);
  }
  const expected = t.kind === 'int' ? 'an integer' : t.kind === 'float' ? 'a number' : 'a bigint or an integer';
  throw new TypeError(`${what}: typecode '${t.code}' needs ${expected}, got ${describe(v)}`);
}

export function fromStored(t: TypeInfo, v: number | bigint): Scalar {
  return t.kind === 'char' ? String.fromCharCode(v as number) : v;
}

export function viewOf(t: TypeInfo, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray {
  return new t.ctor(buffer, byteOffset, length);
}
