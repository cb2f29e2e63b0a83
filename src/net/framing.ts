// CPython's multiprocessing.connection framing, on a byte stream: each message is a signed
// 4-byte big-endian length and the bytes; a message over 2 GiB is `-1`, an unsigned 8-byte
// big-endian length, then the bytes. The reader parses incoming chunks incrementally and checks
// a frame's declared length against the caller's limit as soon as the header is in, before
// anything is allocated for the body, so a peer announcing 4 GiB or 2^63 bytes costs nothing.
import { FrameError } from '../errors.js';

/** CPython's answer_challenge/deliver_challenge read handshake messages with recv_bytes(256). */
export const HANDSHAKE_FRAME_MAX = 256;
/** CPython concatenates header and payload up to this size (one write: no Nagle delay). */
const COALESCE_MAX = 16384;
/** A frame may be handed over as a view of a chunk at most this much bigger than itself (its header, a little more). */
const VIEW_SLACK = 64;

/** The header for a message of n bytes. */
export function frameHeader(n: number): Buffer {
  if (n <= 0x7fffffff) {
    const h = Buffer.allocUnsafe(4);
    h.writeInt32BE(n, 0);
    return h;
  }
  const h = Buffer.allocUnsafe(12);
  h.writeInt32BE(-1, 0);
  h.writeBigUInt64BE(BigInt(n), 4);
  return h;
}

/** One message as a single buffer (header + copy of the payload): what is written when it is small, as CPython does. */
export function frameSmall(payload: Uint8Array): Buffer {
  const n = payload.byteLength;
  const out = Buffer.allocUnsafe(4 + n);
  out.writeInt32BE(n, 0);
  out.set(payload, 4);
  return out;
}

/** Whether a payload is written as one buffer (frameSmall) or as header + payload (no copy of a big body). */
export function coalesced(n: number): boolean {
  return n <= COALESCE_MAX;
}

/** Incremental parser of incoming chunks into whole frames. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #head = 0; // bytes of #chunks[0] already consumed
  #buffered = 0; // bytes not yet consumed
  /** Length of the frame whose header has been read, or -1 while reading a header. */
  #body = -1;

  get buffered(): number {
    return this.#buffered;
  }
  /** Bytes of a message have arrived but not the whole of it (an EOF now is a truncation). */
  get partial(): boolean {
    return this.#buffered > 0 || this.#body >= 0;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The next whole frame, or null while it has not all arrived. Throws FrameError for a
   * negative length other than -1 or a length over `max` (checked from the header alone).
   */
  next(max: number): Buffer | null {
    if (this.#body < 0) {
      if (this.#buffered < 4) return null;
      // The header is read in place when the first chunk holds it (no view allocated).
      const first = this.#chunks[0];
      const inFirst = first.length - this.#head >= 4;
      const n = inFirst ? first.readInt32BE(this.#head) : this.#peek(4).readInt32BE(0);
      if (n === -1) {
        if (this.#buffered < 12) return null;
        const big = this.#peek(12).readBigUInt64BE(4);
        if (big > BigInt(max)) throw new FrameError(`a message of ${big} bytes is longer than the limit of ${max} bytes`, 'EMSGSIZE');
        this.#skip(12);
        this.#body = Number(big);
      } else if (n < 0) {
        throw new FrameError(`bad message length ${n} (negative lengths other than -1 are not CPython's framing)`, 'EPROTO');
      } else {
        if (n > max) throw new FrameError(`a message of ${n} bytes is longer than the limit of ${max} bytes`, 'EMSGSIZE');
        this.#skip(4);
        this.#body = n;
      }
    }
    if (this.#buffered < this.#body) return null;
    const frame = this.#take(this.#body);
    this.#body = -1;
    return frame;
  }

  /** The first n buffered bytes as one view (merging the first chunks if they are short). */
  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const merged = this.#take(this.#buffered);
    this.#chunks = [merged];
    this.#buffered = merged.length;
    return merged.subarray(0, n);
  }

  #skip(n: number): void {
    const first = this.#chunks[0];
    if (first.length - this.#head < n) {
      this.#take(n);
      return;
    }
    this.#head += n;
    this.#buffered -= n;
    if (this.#head === first.length) this.#dropFirst();
  }

  /**
   * Consumes n bytes. A frame that is (nearly) all of the chunk it sits in is handed over as a
   * view of it (a read's chunk is its own allocation, sized to what was read); a frame smaller
   * than its chunk is copied (a small message must not pin a 64 KiB read).
   */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (n === 0) return Buffer.alloc(0);
    const avail = first.length - this.#head;
    if (avail === n && first.length - n <= VIEW_SLACK) {
      const view = n === first.length ? first : first.subarray(this.#head);
      this.#dropFirst();
      return view;
    }
    if (avail >= n) {
      const out = Buffer.allocUnsafe(n);
      first.copy(out, 0, this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.length) this.#dropFirst();
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0];
      const k = Math.min(c.length - this.#head, n - at);
      c.copy(out, at, this.#head, this.#head + k);
      at += k;
      this.#head += k;
      if (this.#head === c.length) this.#dropFirst();
    }
    return out;
  }

  #dropFirst(): void {
    this.#chunks.shift();
    this.#head = 0;
  }
}
