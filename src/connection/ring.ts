// A byte ring in the family's arena: the one transport under Pipe, Queue and SimpleQueue, the
// same for threads and OS processes. A message is a frame [u32 length][u32 tag][payload, padded
// to 8]; a frame that fits in half the ring is written contiguously (a WRAP frame fills the
// end), so a reader decodes strings and structured clones straight from shared memory. A larger
// message streams through the ring in pieces while the writer holds the write lock, so a
// 256 MiB buffer needs no 256 MiB ring and is copied twice (in, out), not more.
//
// Writers take WLOCK, readers RLOCK: any number of each, messages never interleave. A reader
// sleeps on EVENT, which a writer bumps after publishing only when some reader sleeps, and every
// closing writer bumps; a writer sleeps on TAIL while the ring is full, until a quarter of it
// is free (WAKE_TAIL: the reader wakes it only then), so a full ring refills in batches
// instead of one message per wake-up.
import { EOFError } from '../errors.js';
import { mutexRelease, mutexSteps } from '../core/mutex.js';
import { Attach, Primitive, registerPrimitive, type Handle } from '../sync/primitive.js';
import { expired, NOT_EQUAL, UNINTERRUPTIBLE, type Steps } from '../core/steps.js';
import { Ends, ENDS_FIRST_WORD, ENDS_WORDS, GONE, Lookout, type End } from './ends.js';
import { decodeIncoming, rawTag, TAG_ASCII, TAG_STR, type Incoming, type Outgoing } from './message.js';

const HEAD = 0, TAIL = 1, WLOCK = 2, RLOCK = 3, READERS_SLEEPING = 4, WRITERS_SLEEPING = 5, EVENT = 6, WAKE_TAIL = 8;
/** Words free for the object built on the ring (Queue's item count, JoinableQueue's tasks...). */
export const EXTRA = 9;
const HEADER_BYTES = (((ENDS_FIRST_WORD + ENDS_WORDS) * 4 + 7) & ~7);

/** Ring frame flags: a WRAP frame fills the end of the ring; CHUNKED marks a streamed message. */
const TAG_WRAP = 0xff, CHUNKED = 0x100;

type FastBuffer = Buffer & {
  utf8Write(s: string, at: number, max: number): number;
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

const pad8 = (n: number) => (n + 7) & ~7;

export class Ring extends Primitive {
  static override readonly kind: string = 'connection.Ring';
  readonly capacity: number;
  readonly #data: FastBuffer;
  /** Index in i32 of the data area's first word (frame headers are read as words). */
  readonly #dataWord: number;
  readonly #mask: number;
  /** Who holds this ring's ends (ends.ts). */
  readonly ends: Ends;
  /** The word counting open read ends (a plain read on the fast path; the slow path re-checks). */
  readonly #readers: number;
  /** This thread's look at the other end's holders while it waits. */
  readonly #lookout: Lookout;

  constructor(capacity: number | Attach<Handle & { capacity: number }>) {
    const cap = capacity instanceof Attach ? capacity.data.capacity : capacity;
    if (!(cap >= 64 && (cap & (cap - 1)) === 0)) throw new RangeError(`ring capacity must be a power of two >= 64, got ${cap}`);
    super(capacity instanceof Attach ? capacity : (HEADER_BYTES + cap) / 4);
    this.capacity = cap;
    this.#mask = cap - 1;
    this.#data = Buffer.from(this.i32.buffer, this.offset + HEADER_BYTES, cap) as FastBuffer;
    this.#dataWord = (this.offset + HEADER_BYTES) >> 2;
    this.ends = new Ends(this.i32, this.base + ENDS_FIRST_WORD);
    this.#lookout = new Lookout(this.ends);
    this.#readers = this.ends.readersWord;
    if (!(capacity instanceof Attach)) this.ends.reset();
  }
  protected override sendData(): Handle & { capacity: number } {
    return { ...this.handle(), capacity: this.capacity };
  }

  /** The index (in the arena's i32) of one of the EXTRA words. */
  word(extra: number): number {
    return this.base + EXTRA + extra;
  }

  // ------------------------------------------------------------------ writing

  /**
   * The fast path of a write: the message goes in now, contiguously, or nothing happens (false).
   * A string is encoded straight into the ring.
   */
  tryWrite(value: unknown): boolean {
    const i32 = this.i32, b = this.base;
    if (i32[this.#readers] <= 0 || Atomics.compareExchange(i32, b + WLOCK, 0, 1) !== 0) return false;
    try {
      const head = i32[b + HEAD];
      const pos = head & this.#mask;
      const free = this.capacity - ((head - Atomics.load(i32, b + TAIL)) >>> 0);
      const room = Math.min(this.capacity - pos, free, this.capacity >> 1) - 8;
      if (room <= 8) return false;
      let n: number, tag: number;
      if (typeof value === 'string') {
        n = this.#data.utf8Write(value, pos + 8, room);
        if (n > room - 4) return false; // maybe cut short: the careful path measures it first
        tag = n === value.length ? TAG_ASCII : TAG_STR;
      } else if ((tag = rawTag(value)) && (value as Uint8Array).byteLength <= room) {
        this.#data.set(value as Uint8Array, pos + 8);
        n = (value as Uint8Array).byteLength;
      } else return false;
      const w = this.#dataWord + (pos >> 2);
      i32[w] = n;
      i32[w + 1] = tag;
      this.publish(head + 8 + pad8(n));
      return true;
    } finally {
      mutexRelease(this.core, b + WLOCK);
    }
  }

  /**
   * Writes one message; false if the deadline passed before any of it was written.
   * BrokenPipeError once no reader is left (all closed, or their holders dead).
   */
  *writeSteps(m: Outgoing, deadline: number): Steps<boolean> {
    const i32 = this.i32, b = this.base;
    this.#lookout.checkReaders(true);
    if (Atomics.compareExchange(i32, b + WLOCK, 0, 1) !== 0 && !(yield* mutexSteps(i32, b + WLOCK, deadline))) return false;
    try {
      const frame = 8 + pad8(m.length);
      if (frame <= this.capacity >> 1) {
        let head = i32[b + HEAD];
        let pos = head & this.#mask;
        const toEnd = this.capacity - pos;
        const need = frame <= toEnd ? frame : toEnd + frame;
        if (!(yield* this.roomSteps(need, deadline))) return false;
        if (frame > toEnd) {
          this.#data.writeUInt32LE(toEnd - 8, pos);
          this.#data.writeUInt32LE(TAG_WRAP, pos + 4);
          head += toEnd;
          pos = 0;
        }
        this.#data.writeUInt32LE(m.length, pos);
        this.#data.writeUInt32LE(m.tag, pos + 4);
        m.writeTo(this.#data, pos + 8);
        this.publish(head + frame);
        return true;
      }
      // A large message: the header, then the payload streamed as room appears.
      // (Frames keep the head 8-aligned, so the 8-byte header never straddles the end.)
      if (!(yield* this.roomSteps(8, deadline))) return false;
      yield* this.streamSteps(m, i32[b + HEAD]);
      return true;
    } finally {
      mutexRelease(this.core, b + WLOCK);
    }
  }

  private *streamSteps(m: Outgoing, start: number): Steps<void> {
    let head = start;
    const pos = head & this.#mask;
    this.#data.writeUInt32LE(m.length, pos);
    this.#data.writeUInt32LE(m.tag | CHUNKED, pos + 4);
    head += 8;
    this.publish(head);
    // Each piece is copied into the ring as it is (joining them first would copy a large
    // message once more: 200 MiB more for a 200 MiB result).
    const parts = m.pieces?.() ?? [m.bytes()];
    const total = pad8(m.length);
    let part = 0, inPart = 0, done = 0;
    while (done < total) {
      const free = yield* this.freeSteps(Math.min(this.capacity >> 2, total - done));
      let at = head & this.#mask;
      const n = Math.min(free, total - done, this.capacity - at);
      for (let left = Math.min(n, m.length - done); left > 0; ) {
        const p = parts[part];
        const k = Math.min(left, p.byteLength - inPart);
        this.#data.set(p.subarray(inPart, inPart + k), at);
        at += k;
        left -= k;
        inPart += k;
        if (inPart === p.byteLength) {
          part++;
          inPart = 0;
        }
      }
      done += n;
      head += n;
      this.publish(head);
    }
  }

  /**
   * Waits (no deadline: a message once begun is finished) until `want` bytes are free; returns
   * the room. Waiting for a quarter of the ring, not for any room at all, keeps the two sides
   * from handing each other slivers of the message.
   */
  private *freeSteps(want: number): Steps<number> {
    for (;;) {
      const free = this.capacity - ((this.i32[this.base + HEAD] - Atomics.load(this.i32, this.base + TAIL)) >>> 0);
      if (free >= want) return free;
      yield* this.sleepForRoom(want, UNINTERRUPTIBLE, true);
    }
  }

  /** Whether a message of this many payload bytes streams (rather than going in whole). */
  streams(length: number): boolean {
    return 8 + pad8(length) > this.capacity >> 1;
  }
  /** Waits, without taking the write lock, until a message of `length` bytes would go in whole (false: deadline). */
  *roomForSteps(length: number, deadline: number): Steps<boolean> {
    return yield* this.roomSteps(Math.min(this.capacity, 2 * (8 + pad8(length))), deadline);
  }

  private *roomSteps(need: number, deadline: number): Steps<boolean> {
    for (;;) {
      const used = (this.i32[this.base + HEAD] - Atomics.load(this.i32, this.base + TAIL)) >>> 0;
      if (this.capacity - used >= need) return true;
      if (expired(deadline)) return false;
      yield* this.sleepForRoom(Math.max(need, this.capacity >> 2), deadline);
    }
  }

  /**
   * Sleeps until `want` bytes are free (the holder of WLOCK is the only writer that sleeps
   * here). midStream: this writer is in the middle of a message the reader is draining.
   */
  private *sleepForRoom(want: number, deadline: number, midStream = false): Steps<void> {
    const i32 = this.i32, b = this.base;
    const tail = Atomics.load(i32, b + TAIL);
    if ((yield { index: b + TAIL, expected: tail, deadline, spin: true, long: midStream }) === NOT_EQUAL) return;
    this.#lookout.checkReaders(false);
    const head = i32[b + HEAD];
    // The tail at which `want` bytes are free: the reader wakes us when it gets there.
    Atomics.store(i32, b + WAKE_TAIL, (head + want - this.capacity) | 0);
    Atomics.add(i32, b + WRITERS_SLEEPING, 1);
    const now = Atomics.load(i32, b + TAIL);
    if (((now - (head + want - this.capacity)) | 0) < 0) yield this.#lookout.slice(b + TAIL, now, deadline);
    Atomics.sub(i32, b + WRITERS_SLEEPING, 1);
  }

  private publish(head: number): void {
    Atomics.store(this.i32, this.base + HEAD, head | 0);
    if (Atomics.load(this.i32, this.base + READERS_SLEEPING) > 0) this.signalReaders();
  }
  private signalReaders(): void {
    Atomics.add(this.i32, this.base + EVENT, 1);
    this.wake(EVENT);
  }

  // ------------------------------------------------------------------ reading

  /** Something to read now (or, with eof, the writers are all gone)? */
  readable(): boolean {
    return Atomics.load(this.i32, this.base + HEAD) !== Atomics.load(this.i32, this.base + TAIL) || this.eof();
  }
  /** Nothing written and not yet read. */
  empty(): boolean {
    return Atomics.load(this.i32, this.base + HEAD) === Atomics.load(this.i32, this.base + TAIL);
  }
  eof(): boolean {
    return this.ends.count('write') <= 0;
  }

  /** The fast path of a read: the next message if one is there now and whole, else `none`. */
  tryRead<T, U>(take: (m: Incoming) => T, none: U): T | U {
    const i32 = this.i32, b = this.base;
    let tail = i32[b + TAIL];
    if (Atomics.load(i32, b + HEAD) === tail || Atomics.compareExchange(i32, b + RLOCK, 0, 1) !== 0) return none;
    try {
      tail = i32[b + TAIL];
      if (Atomics.load(i32, b + HEAD) === tail) return none;
      let pos = tail & this.#mask;
      let w = this.#dataWord + (pos >> 2);
      let tag = i32[w + 1];
      if (tag === TAG_WRAP) {
        tail += i32[w] + 8;
        this.consume(tail);
        pos = 0;
        w = this.#dataWord;
        tag = i32[w + 1];
      }
      if (tag & CHUNKED) return none;
      const length = i32[w];
      const plain = take === (decodeIncoming as unknown);
      if (plain && tag === TAG_ASCII) return this.consumed(this.#data.latin1Slice(pos + 8, pos + 8 + length) as T, tail + 8 + pad8(length));
      if (plain && tag === TAG_STR) return this.consumed(this.#data.utf8Slice(pos + 8, pos + 8 + length) as T, tail + 8 + pad8(length));
      // A message is consumed even when `take` throws (too long, too small a buffer, not
      // decodable), as Python's recv_bytes_into consumes the message it cannot hold.
      try {
        return take({ tag, payload: this.#data.subarray(pos + 8, pos + 8 + length) });
      } finally {
        this.consume(tail + 8 + pad8(length));
      }
    } finally {
      mutexRelease(this.core, b + RLOCK);
    }
  }

  /**
   * Reads one message and hands it to `take` while its payload is still in the ring; returns
   * take's result, or `timedOut` if the deadline passed first. Throws EOFError once the ring is
   * empty and every writer has closed.
   */
  *readSteps<T, U>(take: (m: Incoming) => T, deadline: number, timedOut: U): Steps<T | U> {
    const i32 = this.i32, b = this.base;
    if (Atomics.compareExchange(i32, b + RLOCK, 0, 1) !== 0 && !(yield* mutexSteps(i32, b + RLOCK, deadline))) return timedOut;
    try {
      for (;;) {
        let tail = i32[b + TAIL];
        if (Atomics.load(i32, b + HEAD) !== tail) {
          let pos = tail & this.#mask;
          let length = this.#data.readUInt32LE(pos);
          let tag = this.#data.readUInt32LE(pos + 4);
          if (tag === TAG_WRAP) {
            tail += length + 8;
            this.consume(tail);
            pos = 0;
            length = this.#data.readUInt32LE(0);
            tag = this.#data.readUInt32LE(4);
          }
          if (!(tag & CHUNKED)) {
            try {
              return take({ tag, payload: this.#data.subarray(pos + 8, pos + 8 + length) });
            } finally {
              this.consume(tail + 8 + pad8(length));
            }
          }
          this.consume(tail + 8);
          const whole = yield* this.drainSteps(length);
          return take({ tag: tag & ~CHUNKED, payload: whole, owned: true });
        }
        if (this.eof() && Atomics.load(i32, b + HEAD) === tail) throw new EOFError();
        if (expired(deadline)) return timedOut;
        yield* this.sleepForData(tail, deadline);
      }
    } finally {
      mutexRelease(this.core, b + RLOCK);
    }
  }

  /** Copies a streamed payload out of the ring as it arrives. */
  private *drainSteps(length: number): Steps<Buffer> {
    const out = Buffer.allocUnsafe(length);
    const total = pad8(length);
    let got = 0;
    while (got < total) {
      const tail = this.i32[this.base + TAIL];
      const avail = (Atomics.load(this.i32, this.base + HEAD) - tail) >>> 0;
      if (avail === 0) {
        // (A writer that merely closed its end may still be finishing this message.)
        if (this.ends.count('write') <= GONE) throw new EOFError('the writer ended in the middle of a message');
        yield* this.sleepForData(tail, UNINTERRUPTIBLE, true);
        continue;
      }
      const at = tail & this.#mask;
      const n = Math.min(avail, total - got, this.capacity - at);
      if (got < length) this.#data.copy(out, got, at, at + Math.min(n, length - got));
      got += n;
      this.consume(tail + n);
    }
    return out;
  }

  /** midStream: the writer is sending the rest of a message this reader has begun. */
  private *sleepForData(tail: number, deadline: number, midStream = false): Steps<void> {
    const i32 = this.i32, b = this.base;
    if ((yield { index: b + HEAD, expected: tail, deadline, spin: true, long: midStream }) === NOT_EQUAL) return;
    this.#lookout.checkWriters();
    Atomics.add(i32, b + READERS_SLEEPING, 1);
    const event = Atomics.load(i32, b + EVENT);
    if (Atomics.load(i32, b + HEAD) === tail && !this.eof()) yield this.#lookout.slice(b + EVENT, event, deadline);
    Atomics.sub(i32, b + READERS_SLEEPING, 1);
  }

  private consumed<T>(value: T, tail: number): T {
    this.consume(tail);
    return value;
  }
  private consume(tail: number): void {
    const i32 = this.i32, b = this.base;
    Atomics.store(i32, b + TAIL, tail | 0);
    if (Atomics.load(i32, b + WRITERS_SLEEPING) > 0 && ((tail - Atomics.load(i32, b + WAKE_TAIL)) | 0) >= 0) this.wake(TAIL);
  }

  /** Waits until readable() (data, or every writer gone); false if the deadline passed first. */
  *readableSteps(deadline: number): Steps<boolean> {
    while (!this.readable()) {
      if (expired(deadline)) return false;
      yield* this.sleepForData(Atomics.load(this.i32, this.base + TAIL), deadline);
    }
    return true;
  }

  // ------------------------------------------------------------------ write ends

  /**
   * @internal Makes the ring empty and unlocked with one write end again, for an owner that
   * knows every other user is gone (a pool reusing the pipes of a worker that ended). The
   * sleeper counts and the event word are left alone: a waiter that has not yet noticed its
   * wake-up still takes itself off them.
   */
  recycle(): void {
    const i32 = this.i32, b = this.base;
    for (const w of [HEAD, TAIL, WLOCK, RLOCK, WAKE_TAIL]) Atomics.store(i32, b + w, 0);
    this.ends.reset();
  }

  /** An end of this ring leaves in a message (it counts as open from now, as a duplicated fd). */
  sendEnd(end: End): void {
    this.ends.sent(end);
  }
  /**
   * Every writer is gone (the one that held a write end was killed): readers see EOF once
   * drained, and a reader in the middle of a message it will never finish gets an EOFError.
   */
  forceEof(): void {
    this.ends.forceGone('write');
    this.signalReaders();
  }
  /** A write end held here closed: when none is left, readers see EOF once drained. */
  dropWriter(): void {
    this.ends.drop('write');
    this.signalReaders();
  }
  /** A read end held here closed: when none is left, a writer waiting for room gets BrokenPipeError. */
  dropReader(): void {
    if (this.ends.drop('read') <= 0) this.wake(TAIL);
  }
}
registerPrimitive(Ring);
