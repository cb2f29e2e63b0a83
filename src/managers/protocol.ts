// The manager's wire protocol, the same over a family member's shared-memory pipe and over a
// remote client's socket: small binary frames, so that the common call (a method name and a
// few numbers or strings) costs no serializer pass and no allocation beyond the values read
// back. Primitive values (undefined, null, booleans, int32, doubles, strings) are written raw;
// anything else goes through the package's codec (structured clone with handles). Nothing in a
// frame is ever evaluated: a request names an object by number and a method by name, and the
// server checks both against what it registered (registry.ts).
//   request  op u8 | seq u32 | ident u32 | name length u8 | name utf8 | arg mode u8 | args
//            args: RAW: count u8, then each value as [kind u8][raw bytes] (strings u32-length
//            prefixed); CODEC: the codec's encoding of the argument list
//   reply    status u8 | seq u32 | kind u8 | value (raw, or the codec's bytes)
import { decode, encode } from '../codec/codec.js';

/** Request operations. */
export enum Op {
  /** call a method of an object: name = method */
  CALL = 1,
  /** make an object of a typeid: name = typeid; the reply is a token */
  CREATE = 2,
  /** one more reference held by this client (a proxy made here) */
  INCREF = 3,
  /** one fewer (a proxy collected or closed here); no reply */
  DECREF = 4,
  /** a copy of a proxy left here inside a message: counted until someone adopts it; no reply */
  SENT = 5,
  /** a proxy arrived here: it takes over one reference in flight; no reply */
  ADOPT = 6,
  /** who this client is: args [thread id]; no reply */
  HELLO = 7,
  /** a waiting call is cancelled (its signal aborted): ident = its seq; no reply */
  CANCEL = 8,
  /** stop the server (only its owner and authenticated clients can reach it) */
  SHUTDOWN = 9,
  /** the server's counters (objects, clients): for tests and debugging */
  INFO = 10,
  /** a method call whose result is a new managed object (methodToTypeid) */
  CALL_PROXY = 11,
}
/** Reply status. */
export enum Status {
  OK = 0,
  ERROR = 1,
  /** the value is a token: make a proxy of it */
  TOKEN = 2,
}

export interface Request {
  op: Op;
  seq: number;
  ident: number;
  name: string;
  args: unknown[];
}

const RAW = 0, CODEC = 2;
/** Value kinds. */
const V_CODEC = 0, V_UNDEF = 1, V_NULL = 2, V_TRUE = 3, V_FALSE = 4, V_INT = 5, V_F64 = 6, V_STR = 7;
const EMPTY: unknown[] = [];
const MAX_RAW_ARGS = 8;

/** @internal */
type Fast = Buffer & { utf8Write(s: string, at: number, max: number): number; utf8Slice(a: number, b: number): string; latin1Slice(a: number, b: number): string };

/**
 * @internal A growable scratch buffer a side encodes its frames into (one per link or server): the
 * frame is written out at once (copied into a ring or a socket write), so it is reused.
 */
export class Scratch {
  buf: Fast = Buffer.allocUnsafe(4096) as Fast;
  /** Room for `n` more bytes at `at`. */
  need(at: number, n: number): void {
    if (at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, at + n)) as Fast;
    this.buf.copy(bigger, 0, 0, at);
    this.buf = bigger;
  }
}

const rawKind = (v: unknown): boolean => v === undefined || v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string';

/** Writes a primitive value at `at` ([kind][bytes]; strings length-prefixed if `prefixed`); returns the end. */
function putValue(s: Scratch, at: number, v: unknown, prefixed: boolean): number {
  if (typeof v === 'number') {
    if ((v | 0) === v && !Object.is(v, -0)) {
      s.need(at, 5);
      s.buf[at] = V_INT;
      s.buf.writeInt32LE(v, at + 1);
      return at + 5;
    }
    s.need(at, 9);
    s.buf[at] = V_F64;
    s.buf.writeDoubleLE(v, at + 1);
    return at + 9;
  }
  if (typeof v === 'string') {
    const start = at + 1 + (prefixed ? 4 : 0);
    s.need(start, v.length * 3);
    s.buf[at] = V_STR;
    const n = s.buf.utf8Write(v, start, v.length * 3);
    if (prefixed) s.buf.writeUInt32LE(n, at + 1);
    return start + n;
  }
  s.need(at, 1);
  s.buf[at] = v === undefined ? V_UNDEF : v === null ? V_NULL : v === true ? V_TRUE : V_FALSE;
  return at + 1;
}

/** Where the value getValue read last ends (one reader at a time: no tuple to allocate). */
let next = 0;
/** Reads a value written by putValue at `at`; `end` bounds an unprefixed string. */
function getValue(b: Fast, at: number, end: number, prefixed: boolean): unknown {
  const kind = b[at];
  switch (kind) {
    case V_UNDEF: next = at + 1; return undefined;
    case V_NULL: next = at + 1; return null;
    case V_TRUE: next = at + 1; return true;
    case V_FALSE: next = at + 1; return false;
    case V_INT: next = at + 5; return b.readInt32LE(at + 1);
    case V_F64: next = at + 9; return b.readDoubleLE(at + 1);
    case V_STR: {
      const n = prefixed ? b.readUInt32LE(at + 1) : end - at - 1;
      const start = at + 1 + (prefixed ? 4 : 0);
      if (start + n > end) throw new TypeError('malformed manager frame (a string overruns it)');
      next = start + n;
      return b.utf8Slice(start, start + n);
    }
    default: throw new TypeError(`malformed manager frame (value kind ${kind})`);
  }
}

/** @internal Encodes a request into `s`; returns its length. */
export function encodeRequest(s: Scratch, op: Op, seq: number, ident: number, name: string, args: readonly unknown[]): number {
  // Arguments the codec encodes first: a proxy among them posts a message of its own (its
  // copy in flight) through the same line, and so the same scratch buffer.
  const raw = args.length <= MAX_RAW_ARGS && args.every(rawKind);
  const body = raw ? null : encode(args, 'args');
  s.need(0, 13 + name.length * 3);
  const b = s.buf;
  b[0] = op;
  b.writeUInt32LE(seq >>> 0, 1);
  b.writeUInt32LE(ident >>> 0, 5);
  const nameLen = b.utf8Write(name, 10, name.length * 3);
  if (nameLen > 255) throw new TypeError(`a method or typeid name is at most 255 bytes, got '${name.slice(0, 40)}...'`);
  b[9] = nameLen;
  let at = 10 + nameLen;
  if (body === null) {
    b[at] = RAW;
    b[at + 1] = args.length;
    at += 2;
    for (const a of args) at = putValue(s, at, a, true);
    return at;
  }
  s.need(at, 1 + body.length);
  s.buf[at] = CODEC;
  s.buf.set(body, at + 1);
  return at + 1 + body.length;
}

/** @internal Throws a TypeError naming what is malformed (the server answers it or drops the peer). */
export function decodeRequest(buf: Uint8Array): Request {
  if (buf.byteLength < 11) throw new TypeError(`malformed manager request (${buf.byteLength} bytes)`);
  const b = (buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) as Fast;
  const nameLen = b[9], end = b.byteLength;
  if (end < 11 + nameLen) throw new TypeError('malformed manager request (name overruns the frame)');
  const mode = b[10 + nameLen];
  let args: unknown[];
  if (mode === RAW) {
    const count = end > 11 + nameLen ? b[11 + nameLen] : 0;
    if (count === 0) args = EMPTY;
    else {
      if (count > MAX_RAW_ARGS) throw new TypeError(`malformed manager request (${count} raw arguments)`);
      args = new Array<unknown>(count);
      next = 12 + nameLen;
      for (let i = 0; i < count; i++) {
        if (next >= end) throw new TypeError('malformed manager request (arguments overrun the frame)');
        args[i] = getValue(b, next, end, true);
      }
      if (next > end) throw new TypeError('malformed manager request (arguments overrun the frame)');
    }
  } else if (mode === CODEC) {
    const v = decode(b.subarray(11 + nameLen));
    if (!Array.isArray(v)) throw new TypeError('malformed manager request (arguments are not a list)');
    args = v;
  } else throw new TypeError(`malformed manager request (argument mode ${mode})`);
  return { op: b[0] as Op, seq: b.readUInt32LE(1), ident: b.readUInt32LE(5), name: b.utf8Slice(10, 10 + nameLen), args };
}

/** @internal Encodes a reply into `s`; returns its length. A value the codec refuses becomes an error reply. */
export function encodeReply(s: Scratch, status: Status, seq: number, value: unknown): number {
  s.need(0, 6);
  s.buf[0] = status;
  s.buf.writeUInt32LE(seq >>> 0, 1);
  if (rawKind(value)) return putValue(s, 5, value, false);
  let body: Buffer;
  try {
    body = encode(value, 'result');
  } catch (e) {
    s.buf[0] = Status.ERROR;
    body = encode(e, 'error');
  }
  s.need(5, 1 + body.length);
  s.buf[5] = V_CODEC;
  s.buf.set(body, 6);
  return 6 + body.length;
}

/** @internal */
export function decodeReply(buf: Uint8Array): { status: Status; seq: number; value: unknown } {
  if (buf.byteLength < 6) throw new TypeError(`malformed manager reply (${buf.byteLength} bytes)`);
  const b = (buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) as Fast;
  const value = b[5] === V_CODEC ? decode(b.subarray(6)) : getValue(b, 5, b.byteLength, false);
  return { status: b[0] as Status, seq: b.readUInt32LE(1), value };
}

/** What a proxy is made from: the server's answer to CREATE (Python's Token, plus what to call). */
export interface Token {
  typeid: string;
  ident: number;
  /** The methods a proxy may call. */
  exposed: string[];
  /** Methods whose result is a new managed object. */
  proxied: string[];
  /** The server's own object, encoded, for a proxy in the server's family (locks, queues...). */
  local?: Uint8Array;
}
