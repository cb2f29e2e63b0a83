// Messages, apart from any transport: what a send writes (strings and byte arrays raw, under a
// tag that says which kind they were; anything else through the codec) and how a payload read
// back becomes a value again. The ring carries these frames; so could any other byte stream.
import { decode, encode } from '../codec/codec.js';
import type { NodeBuffer } from '../util/node-types.js';

/** Frame tags: how the payload is decoded (BYTES: a Buffer, U8: a Uint8Array, each raw). */
export const TAG_STR = 1, TAG_BYTES = 2, TAG_ENCODED = 3, TAG_ASCII = 4, TAG_U8 = 5;

/** A message ready to be written: its tag, byte length, and how to put it in place. */
export interface Outgoing {
  tag: number;
  length: number;
  /** Writes the whole payload at target[at]. */
  writeTo(target: NodeBuffer, at: number): void;
  /** The payload as bytes (for streaming a large message). */
  bytes(): Uint8Array;
  /** The payload as the pieces it is made of, if it is: streamed as they are, not joined first. */
  pieces?(): Uint8Array[];
}

/** The value a reader would get from a message (for items that never left this process). */
export function decodeOutgoing(m: Outgoing): unknown {
  const bytes = m.bytes();
  return decodeIncoming({ tag: m.tag, payload: bytes });
}

/** What send() writes: strings and bytes raw, anything else through the codec. */
export function outgoing(value: unknown, path: string): Outgoing {
  if (typeof value === 'string') {
    return {
      tag: TAG_STR,
      length: Buffer.byteLength(value),
      writeTo: (t, at) => void t.write(value, at, 'utf8'),
      bytes: () => Buffer.from(value),
    };
  }
  const tag = rawTag(value);
  if (tag) return rawBytes(value as Uint8Array, tag);
  const enc = encode(value, path);
  return { tag: TAG_ENCODED, length: enc.length, writeTo: (t, at) => t.set(enc, at), bytes: () => enc };
}
/** Bytes sent as they are (sendBytes): a Uint8Array arrives as one, anything else as a Buffer. */
export function rawBytes(view: Uint8Array, tag = rawTag(view) || TAG_BYTES): Outgoing {
  return { tag, length: view.byteLength, writeTo: (t, at) => t.set(view, at), bytes: () => view };
}
/** The tag of a value sent raw: a Buffer or a Uint8Array (not a subclass: that goes by the codec); else 0. */
export function rawTag(value: unknown): number {
  if (!(value instanceof Uint8Array)) return 0;
  const c = value.constructor;
  return c === Buffer ? TAG_BYTES : c === Uint8Array ? TAG_U8 : 0;
}

/** A message as read: its tag and payload (a view into the ring, valid only until the next read). */
export interface Incoming {
  tag: number;
  payload: Uint8Array;
  /** The payload is a buffer of its own (a streamed message), not a view into the ring: no copy needed. */
  owned?: boolean;
}
export function decodeIncoming(m: Incoming): unknown {
  if (m.tag === TAG_STR || m.tag === TAG_ASCII) return Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength).toString('utf8');
  if (m.tag === TAG_BYTES) return m.owned ? m.payload : Buffer.from(m.payload);
  if (m.tag === TAG_U8) {
    const p = m.payload;
    // A streamed payload's own buffer serves as is, unless it is a slice of Node's pool.
    return m.owned && p.byteLength === p.buffer.byteLength ? new Uint8Array(p.buffer, p.byteOffset, p.byteLength) : new Uint8Array(p);
  }
  return decode(m.payload);
}
