// What travels through Redis, the Redis backend's wire format, written by the pool and read by
// the workers (and back). BullMQ stores a job's data and return value as JSON, so the codec's
// bytes (which keep BigInt, Map, Date, typed arrays and error classes, as between local
// workers) travel as base64 inside it.
//   job data:     { v: 1, module, name, mode, args }      args: base64 of the codec's encoding
//   return value: base64 of [u8 ok][the codec's encoding of the value, or of the error]
import { decode, encode } from '../codec/codec.js';
import type { Mode } from '../pool/protocol.js';

export const FORMAT = 1;

export interface JobData {
  v: typeof FORMAT;
  /** the task's function: its module's URL (or path) and export name */
  module: string;
  name: string;
  mode: Mode;
  /** base64 of the encoded arguments: apply's list, or a chunk (a list, or packed numbers) */
  args: string;
}

export function jobData(module: string, name: string, mode: Mode, args: unknown): JobData {
  return { v: FORMAT, module, name, mode, args: encode(args, 'args').toString('base64') };
}

/** A job as the worker command hands it to a child: the arguments as bytes (bytes cross a
 *  local pipe several times quicker than the same in a base64 string). */
export interface LocalJob {
  v: number;
  module: string;
  name: string;
  mode: Mode;
  args: Uint8Array;
}
export function localJob(data: JobData): LocalJob {
  return { v: data?.v, module: data?.module, name: data?.name, mode: data?.mode, args: Buffer.from(String(data?.args ?? ''), 'base64') };
}

/** A result as bytes: [u8 ok][the codec's encoding]; the return value is their base64. */
export function encodeResult(ok: boolean, value: unknown): Buffer {
  const body = encode(value, 'result');
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = ok ? 1 : 0;
  out.set(body, 1);
  return out;
}

export function decodeResult(text: string): { ok: boolean; value: unknown } {
  const bytes = Buffer.from(text, 'base64');
  return { ok: bytes[0] === 1, value: decode(bytes.subarray(1), true) };
}
