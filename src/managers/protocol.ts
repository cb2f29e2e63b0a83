// The manager's wire protocol, the same over a family member's shared-memory pipe and over a
// remote client's socket: small binary frames, so that the common call (a method name and one
// number or string) costs no serializer pass. Values inside go through the package's codec
// (strings and numbers raw, anything else structured clone with handles). Nothing in a frame
// is ever evaluated: a request names an object by number and a method by name, and the server
// checks both against what it registered (registry.ts).
//   request  op u8 | seq u32 | ident u32 | name length u8 | name utf8 | arg mode u8 | args
//   reply    status u8 | seq u32 | value
import { decode, encode } from '../codec/codec.js';
import type { NodeBuffer } from '../util/node-types.js';

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

const NO_ARGS = 0, ONE_ARG = 1, ARG_LIST = 2;
const EMPTY: unknown[] = [];

export function encodeRequest(op: Op, seq: number, ident: number, name: string, args: readonly unknown[]): NodeBuffer {
  const nameLen = Buffer.byteLength(name);
  if (nameLen > 255) throw new TypeError(`a method or typeid name is at most 255 bytes, got '${name.slice(0, 40)}...'`);
  let mode = NO_ARGS, body: NodeBuffer | null = null;
  if (args.length === 1) {
    mode = ONE_ARG;
    body = encode(args[0], 'args[0]');
  } else if (args.length > 1) {
    mode = ARG_LIST;
    body = encode(args, 'args');
  }
  const head = 11 + nameLen;
  const out = Buffer.allocUnsafe(head + (body ? body.length : 0));
  out[0] = op;
  out.writeUInt32LE(seq >>> 0, 1);
  out.writeUInt32LE(ident >>> 0, 5);
  out[9] = nameLen;
  out.write(name, 10, 'utf8');
  out[10 + nameLen] = mode;
  if (body) out.set(body, head);
  return out;
}

/** Throws a TypeError naming what is malformed (the server answers it or drops the peer). */
export function decodeRequest(buf: Uint8Array): Request {
  if (buf.byteLength < 11) throw new TypeError(`malformed manager request (${buf.byteLength} bytes)`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const nameLen = b[9];
  if (buf.byteLength < 11 + nameLen) throw new TypeError('malformed manager request (name overruns the frame)');
  const mode = b[10 + nameLen];
  let args: unknown[];
  if (mode === NO_ARGS) args = EMPTY;
  else if (mode === ONE_ARG) args = [decode(buf.subarray(11 + nameLen))];
  else if (mode === ARG_LIST) {
    const v = decode(buf.subarray(11 + nameLen));
    if (!Array.isArray(v)) throw new TypeError('malformed manager request (arguments are not a list)');
    args = v;
  } else throw new TypeError(`malformed manager request (argument mode ${mode})`);
  return { op: b[0] as Op, seq: b.readUInt32LE(1), ident: b.readUInt32LE(5), name: b.toString('utf8', 10, 10 + nameLen), args };
}

export function encodeReply(status: Status, seq: number, value: unknown): NodeBuffer {
  let body: NodeBuffer;
  try {
    body = encode(value, 'result');
  } catch (e) {
    status = Status.ERROR;
    body = encode(e, 'error');
  }
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = status;
  out.writeUInt32LE(seq >>> 0, 1);
  out.set(body, 5);
  return out;
}

export function decodeReply(buf: Uint8Array): { status: Status; seq: number; value: unknown } {
  if (buf.byteLength < 6) throw new TypeError(`malformed manager reply (${buf.byteLength} bytes)`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { status: b[0] as Status, seq: b.readUInt32LE(1), value: decode(buf.subarray(5)) };
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
