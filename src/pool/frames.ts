// The binary frames between a pool and its workers. A structured clone per task cost the parent
// more than the task itself; these frames carry only a header and the codec's encoding of the
// arguments (or of the single item or value, which for a number or a string needs no serializer).
//   task:   [u32 id][u8 mode | SINGLE][u32 fn][u32 spec bytes][spec JSON][u32 payload bytes][payload]
//   result: [u32 id][u8 OK | FAILED, | SINGLE][payload]
// A worker gets a batch of task frames in one message; it answers each task on its own.
import { decode, encode } from '../codec/codec.js';
import type { TargetSpec } from '../targets/describe.js';

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

export function encodeTasks(tasks: TaskFrame[]): Buffer {
  const parts: Buffer[] = [];
  for (const t of tasks) {
    const single = t.args.length === 1;
    const payload = encode(single ? t.args[0] : t.args, 'args');
    const spec = t.spec ? Buffer.from(JSON.stringify(t.spec)) : null;
    const head = Buffer.allocUnsafe(13);
    head.writeUInt32LE(t.id, 0);
    head[4] = t.mode | (single ? SINGLE : 0);
    head.writeUInt32LE(t.fn, 5);
    head.writeUInt32LE(spec ? spec.length : 0, 9);
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(payload.length, 0);
    parts.push(head);
    if (spec) parts.push(spec);
    parts.push(len, payload);
  }
  return Buffer.concat(parts);
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

export function resultFrame(id: number, ok: boolean, value: unknown, single: boolean): Buffer {
  const body = encode(value, 'result');
  const out = Buffer.allocUnsafe(5 + body.length);
  out.writeUInt32LE(id, 0);
  out[4] = (ok ? OK : 0) | (single ? SINGLE : 0);
  body.copy(out, 5);
  return out;
}

export function readResultFrame(frame: Buffer): [number, boolean, unknown] {
  const flags = frame[4];
  const value = decode(frame.subarray(5));
  return [frame.readUInt32LE(0), (flags & OK) === OK, flags & SINGLE ? [value] : value];
}
