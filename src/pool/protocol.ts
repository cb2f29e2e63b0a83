// The pool's wire protocol, the one file both sides import: the task modes, the worker's status
// words, and the binary frames between a pool and its workers. A structured clone per task cost the parent
// more than the task itself; these frames carry only a header and the codec's encoding of the
// arguments (or of the single item or value, which for a number or a string needs no serializer).
//   task:   [u32 id][u8 mode | SINGLE][u32 fn][u32 spec bytes][spec JSON][u32 payload bytes][payload]
//   result: [u32 id][u8 OK | FAILED, | SINGLE][payload]
// A worker gets a batch of task frames in one message; it answers each task on its own.
// Both are written straight into the pipe from their pieces, and a result is read in place.
import { decode, encode, encodeNow, encodeParts } from '../codec/codec.js';
import { TAG_BYTES, type Incoming, type Outgoing } from '../connection/message.js';
import type { TargetSpec } from '../targets/describe.js';
import type { Mode } from './backend.js';

/** status words: the task running now (0: none), 1 once the initializer has run. */
export const ST_RUNNING = 0, ST_READY = 1;
/** Task modes: fn(...args); fn(item) for each item of a chunk; fn(...item) for each. */
export const APPLY = 0, MAP = 1, STARMAP = 2;
export type { Mode } from './backend.js';

/** A chunk of plain numbers travels as a Float64Array: one copy instead of a value-by-value serialization. */
export function packNumbers(values: unknown[]): unknown[] | Float64Array {
  if (values.length < 16) return values;
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'number') return values;
  // set() copies an array of numbers in one pass; new Float64Array(array) takes ~8x longer.
  const packed = new Float64Array(values.length);
  packed.set(values as number[]);
  return packed;
}

/** The payload is the only element of the args / chunk / result list. */
const SINGLE = 0x80;
const OK = 1;

export interface TaskFrame {
  id: number;
  mode: number;
  fn: number;
  spec: TargetSpec | null;
  args: unknown[];
}

/** A message of pieces, written one after another (TAG_BYTES: the reader gets the bytes). */
function pieces(parts: Uint8Array[]): Outgoing {
  let length = 0;
  for (const p of parts) length += p.byteLength;
  return {
    tag: TAG_BYTES,
    length,
    writeTo(target, at) {
      for (const p of parts) {
        target.set(p, at);
        at += p.byteLength;
      }
    },
    bytes: () => Buffer.concat(parts),
    pieces: () => parts,
  };
}

/** A task's arguments as encoded pieces: the only one alone (single), else the list. */
export function encodeArgs(args: unknown[], copy: boolean): Uint8Array[] {
  const value = args.length === 1 ? args[0] : args;
  return copy ? [encode(value, 'args')] : encodeParts(value, 'args');
}

export interface TaskOut {
  id: number;
  mode: number;
  fn: number;
  spec: TargetSpec | null;
  single: boolean;
  payload: Uint8Array[];
}

export function taskMessage(tasks: TaskOut[]): Outgoing {
  const parts: Uint8Array[] = [];
  for (const t of tasks) {
    const { single, payload } = t;
    const spec = t.spec ? Buffer.from(JSON.stringify(t.spec)) : null;
    const head = Buffer.allocUnsafe(17);
    head.writeUInt32LE(t.id, 0);
    head[4] = t.mode | (single ? SINGLE : 0);
    head.writeUInt32LE(t.fn, 5);
    head.writeUInt32LE(spec ? spec.length : 0, 9);
    let payloadLength = 0;
    for (const p of payload) payloadLength += p.byteLength;
    if (spec) {
      parts.push(head.subarray(0, 13), spec, Buffer.from(new Uint32Array([payloadLength]).buffer));
    } else {
      head.writeUInt32LE(payloadLength, 13);
      parts.push(head);
    }
    parts.push(...payload);
  }
  return pieces(parts);
}

export function decodeTasks(buf: Buffer): TaskFrame[] {
  const out: TaskFrame[] = [];
  let at = 0;
  while (at < buf.length) {
    const id = buf.readUInt32LE(at);
    const flags = buf[at + 4];
    const fn = buf.readUInt32LE(at + 5);
    const specLen = buf.readUInt32LE(at + 9);
    at += 13;
    const spec = specLen ? (JSON.parse(buf.toString('utf8', at, at + specLen)) as TargetSpec) : null;
    at += specLen;
    const payloadLen = buf.readUInt32LE(at);
    at += 4;
    const payload = decode(buf.subarray(at, at + payloadLen));
    at += payloadLen;
    out.push({ id, mode: flags & ~SINGLE, fn, spec, args: flags & SINGLE ? [payload] : (payload as unknown[]) });
  }
  return out;
}

export function resultMessage(id: number, ok: boolean, value: unknown, single: boolean): Outgoing {
  // Written out at once by the worker: a large result streams from its own memory, uncopied.
  const body = encodeNow(value, 'result');
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(id, 0);
  head[4] = (ok ? OK : 0) | (single ? SINGLE : 0);
  return pieces([head, ...body]);
}

/** A result frame: as bytes, or read in place from the pipe. `owned`: the frame is a buffer of
 *  the caller's own (a streamed result), whose bytes the value may keep instead of a copy. */
export function readResultFrame(frame: Uint8Array, owned = false): [number, boolean, unknown] {
  const flags = frame[4];
  const value = decode(frame.subarray(5), owned);
  const id = frame[0] | (frame[1] << 8) | (frame[2] << 16) | (frame[3] << 24);
  return [id >>> 0, (flags & OK) === OK, flags & SINGLE ? [value] : value];
}
export const readResultMessage = (m: Incoming): [number, boolean, unknown] => readResultFrame(m.payload);
