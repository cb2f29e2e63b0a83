// Connection and Pipe: each direction of a pipe is a Ring in the family's arena, so a
// Connection works between any two members of a family under either start method. A
// Connection travels by handle; every copy of an end (one per send, as fds are duplicated)
// counts as open until it is closed (explicitly, by GC, or when its thread ends normally) or
// its holder is found dead (ends.ts). The reader sees EOFError once every write end is gone
// and the ring is drained; a send rejects with BrokenPipeError once every read end is gone.
// Sends keep their call order, awaited or not (sender.ts).
import { registerKind, SEND } from '../codec/codec.js';
import { whenClassesLoaded } from '../codec/classes.js';
import { BufferTooShortError, EOFError, ValueError } from '../errors.js';
import { core } from '../core/core.js';
import { WAITABLE, type WaitTarget } from '../process/waitable.js';
import { runAsync, runSync } from '../core/steps.js';
import { checkOptions, checkSignal, deadlineOf, describe, waitOptions, type WaitOptions } from '../util/options.js';
import { Ring } from './ring.js';
import { decodeIncoming, type Incoming, type Outgoing } from './message.js';
import { senderOf, type Sender } from './sender.js';
import type { ConnectionLike, RecvOptions } from './interface.js';
import type { NodeBuffer } from '../util/node-types.js';
import { promised } from '../util/promised.js';

/** Bytes of each direction's ring (a message larger than half of it streams through). */
export const PIPE_CAPACITY = 1 << 18;
const TIMED_OUT = Symbol('timed out');
/** Passed by the reviver: the ends arrive in a message (they were counted when sent). */
const ARRIVED = Symbol('arrived');


// Ends still open in this thread, closed when it ends (an OS would close their fds).
type Held = { read: Ring | null; write: Ring | null };
const open = new Set<Held>();
const collected = new FinalizationRegistry<Held>((held) => {
  if (open.delete(held)) release(held, true);
});
process.on('exit', () => {
  for (const held of open) release(held, false);
  open.clear();
});
/** Closes the ends; a write end only once this thread's pending sends on it are written. */
function release(held: Held, afterSends: boolean): void {
  held.read?.dropReader();
  const w = held.write;
  if (w && afterSends) senderOf(w).whenDrained(() => w.dropWriter());
  else w?.dropWriter();
}

type ConnectionHandle = { read: Ring | null; write: Ring | null };

export class Connection implements ConnectionLike {
  #read: Ring | null;
  #write: Ring | null;
  #closed = false;
  readonly #held: Held;
  /** This thread's ordered sender on the write ring (made with the connection: sends are hot). */
  readonly #sender: Sender | null;

  /** Made by Pipe() (or when a Connection arrives from another process). */
  constructor(read: Ring | null, write: Ring | null, arrived?: typeof ARRIVED) {
    if ((read !== null && !(read instanceof Ring)) || (write !== null && !(write instanceof Ring))) throw new TypeError('Connection: use mp.Pipe() to make connections');
    this.#read = read;
    this.#write = write;
    for (const [ring, end] of [[read, 'read'], [write, 'write']] as const) {
      if (!ring) continue;
      ring.ends.hold(end);
      if (arrived === ARRIVED) ring.ends.arrived(end);
    }
    this.#held = { read, write };
    this.#sender = write ? senderOf(write) : null;
    open.add(this.#held);
    collected.register(this, this.#held, this);
  }

  get closed(): boolean {
    return this.#closed;
  }
  get readable(): boolean {
    return this.#read !== null;
  }
  get writable(): boolean {
    return this.#write !== null;
  }

  private writer(what: string): Ring {
    if (this.#closed) throw new ValueError(`${what}: the connection is closed`);
    if (!this.#write) throw new ValueError(`${what}: this end of a one-way pipe is read-only`);
    return this.#write;
  }
  private reader(what: string): Ring {
    if (this.#closed) throw new ValueError(`${what}: the connection is closed`);
    if (!this.#read) throw new ValueError(`${what}: this end of a one-way pipe is write-only`);
    return this.#read;
  }

  /**
   * Sends a value (strings and bytes raw, anything else by structured clone); waits for room.
   * Sends keep their call order, awaited or not; BrokenPipeError once no reader is left.
   */
  send(obj: unknown): Promise<void> {
    return promised(() => {
      this.writer('send');
      return this.#sender!.send(obj, null);
    });
  }
  sendSync(obj: unknown): void {
    this.writer('sendSync');
    this.#sender!.sendSync(obj, null, 'sendSync');
  }

  /** Sends bytes as one message: buf[offset .. offset + size] (not copied: leave it unchanged until sent). */
  sendBytes(buf: Uint8Array, offset?: number, size?: number): Promise<void> {
    return promised(() => {
      return senderOf(this.writer('sendBytes')).send(null, slice(buf, offset, size, 'sendBytes'));
    });
  }
  /**
   * @internal A message that writes itself into the pipe (no buffer of its own in between):
   * trySendMessage only if it goes in whole now, sendMessageSync waiting for room.
   */
  trySendMessage(m: Outgoing): boolean {
    const ring = this.writer('sendBytes');
    return !ring.streams(m.length) && runSync(core(), ring.writeSteps(m, deadlineOf(0)));
  }
  sendMessageSync(m: Outgoing): void {
    runSync(core(), this.writer('sendBytesSync').writeSteps(m, -1));
  }
  sendBytesSync(buf: Uint8Array, offset?: number, size?: number): void {
    senderOf(this.writer('sendBytesSync')).sendSync(null, slice(buf, offset, size, 'sendBytesSync'), 'sendBytesSync');
  }

  /** The next value; throws EOFError when the other end has closed and nothing is left. */
  recv(options?: RecvOptions): Promise<unknown> {
    return promised(() => {
      const ring = this.reader('recv');
      const signal = recvSignal(options, 'recv');
      // (A value whose class's module is being imported comes once it has its class.)
      const v = ring.tryRead(decodeIncoming, TIMED_OUT);
      if (v !== TIMED_OUT) return Promise.resolve(whenClassesLoaded(v));
      return runAsync(core(), ring.readSteps(decodeIncoming, -1, TIMED_OUT), { signal }).then(whenClassesLoaded);
    });
  }
  /**
   * @internal The next message if one is there now, else `none`; EOFError once drained and
   * closed. `take` reads it in place (the view is only valid during the call).
   */
  tryRecv<T, U>(none: U, take: (m: Incoming) => T = decodeIncoming as (m: Incoming) => T): T | U {
    const ring = this.reader('recv');
    const v = ring.tryRead(take, none);
    if (v === none && ring.eof() && ring.empty()) throw new EOFError();
    return v;
  }
  /** @internal recv() whose waits do not keep the process alive (for a large message tryRecv leaves). */
  recvInBackground(): Promise<unknown> {
    return promised(() => {
      return runAsync(core(), this.reader('recv').readSteps(decodeIncoming, -1, TIMED_OUT), { weak: true });
    });
  }
  /** @internal Something is written and not yet read (whole or not). */
  hasData(): boolean {
    return !this.reader('recv').empty();
  }
  /** @internal Resolves when something may be readable; the wait does not keep the process alive. */
  whenReadableInBackground(): Promise<boolean> {
    return waitReadable(this.reader('recv'), -1, true);
  }
  recvSync(): unknown {
    const ring = this.reader('recvSync');
    const v = ring.tryRead(decodeIncoming, TIMED_OUT);
    return v !== TIMED_OUT ? v : runSync(core(), ring.readSteps(decodeIncoming, -1, TIMED_OUT));
  }

  /** The next message as bytes (of at most maxlength, else an error and the connection closes). */
  recvBytes(maxlength?: number | null, options?: RecvOptions): Promise<NodeBuffer> {
    return promised(() => {
      const signal = recvSignal(options, 'recvBytes');
      return runAsync(core(), this.reader('recvBytes').readSteps(this.bytesTaker(maxlength ?? undefined, 'recvBytes'), -1, TIMED_OUT), { signal }) as Promise<NodeBuffer>;
    });
  }
  recvBytesSync(maxlength?: number): NodeBuffer {
    return runSync(core(), this.reader('recvBytesSync').readSteps(this.bytesTaker(maxlength, 'recvBytesSync'), -1, TIMED_OUT)) as NodeBuffer;
  }

  /** Reads the next message into buf at offset; returns its length. BufferTooShortError (with the message in .data) if it does not fit. */
  recvBytesInto(buf: Uint8Array, offset?: number | null, options?: RecvOptions): Promise<number> {
    return promised(() => {
      const signal = recvSignal(options, 'recvBytesInto');
      return runAsync(core(), this.reader('recvBytesInto').readSteps(intoTaker(buf, offset ?? 0, 'recvBytesInto'), -1, TIMED_OUT), { signal }) as Promise<number>;
    });
  }
  recvBytesIntoSync(buf: Uint8Array, offset?: number): number {
    return runSync(core(), this.reader('recvBytesIntoSync').readSteps(intoTaker(buf, offset ?? 0, 'recvBytesIntoSync'), -1, TIMED_OUT)) as number;
  }

  /**
   * Whether there is something to read: at once (no timeout), within timeout ms, or ever
   * (null); `{ timeout, signal }` also works, an abort rejecting with the signal's reason.
   */
  async poll(timeout?: number | null | WaitOptions): Promise<boolean> {
    const ring = this.reader('poll');
    const { ms, signal } = pollOptions(timeout, 'poll');
    signal?.throwIfAborted();
    if (ring.readable() || ms === 0) return ring.readable();
    return runAsync(core(), ring.readableSteps(deadlineOf(ms)), { signal });
  }
  pollSync(timeout?: number | null | WaitOptions): boolean {
    const ring = this.reader('pollSync');
    return runSync(core(), ring.readableSteps(deadlineOf(pollOptions(timeout, 'pollSync').ms)));
  }

  /** @internal The process that held the other end is gone (killed): let recv() see EOF. */
  peerGone(): void {
    this.#read?.forceEof();
  }

  /** Closes this end; sends still pending are written first (then the write end closes). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (open.delete(this.#held)) release(this.#held, true);
    collected.unregister(this);
    this.#read = this.#write = null;
  }
  [Symbol.dispose](): void {
    this.close();
  }

  [WAITABLE](): WaitTarget {
    const ring = this.reader('wait');
    return { ready: () => ring.readable(), whenReady: (ms, signal) => waitReadable(ring, ms, false, signal ?? null) };
  }

  [SEND](): { kind: string; data: ConnectionHandle } {
    if (this.#closed) throw new ValueError('a closed Connection cannot be sent');
    // The copy in flight holds its ends from now, as a duplicated fd would: the sender may
    // close its own copy before the receiver has decoded this one.
    this.#read?.sendEnd('read');
    this.#write?.sendEnd('write');
    return { kind: 'connection.Connection', data: { read: this.#read, write: this.#write } };
  }

  private bytesTaker(maxlength: number | undefined, what: string): (m: Incoming) => Buffer {
    if (maxlength !== undefined && !(Number.isInteger(maxlength) && maxlength >= 0)) throw new ValueError(`${what}: maxlength must be a non-negative integer, got ${describe(maxlength)}`);
    return (m) => {
      if (maxlength !== undefined && m.payload.byteLength > maxlength) {
        this.close();
        throw Object.assign(new Error(`${what}: a message of ${m.payload.byteLength} bytes is longer than maxlength ${maxlength}; the connection is closed`), { code: 'EMSGSIZE' });
      }
      return m.owned ? (m.payload as Buffer) : Buffer.from(m.payload);
    };
  }

  toString(): string {
    return `<Connection ${this.#closed ? 'closed' : `${this.readable ? 'r' : ''}${this.writable ? 'w' : ''}`}>`;
  }
}
registerKind('connection.Connection', (data) => {
  const d = data as ConnectionHandle;
  return new Connection(d.read, d.write, ARRIVED);
});

function recvSignal(options: RecvOptions | undefined, what: string): AbortSignal | null {
  const signal = checkSignal(checkOptions(options, ['signal'], what)?.signal, what);
  signal?.throwIfAborted();
  return signal;
}
/** Unlike the other waits, poll() without a timeout looks once (Python's poll()); null waits for ever. */
function pollOptions(timeout: number | null | WaitOptions | undefined, what: string): { ms: number; signal: AbortSignal | null } {
  const o = waitOptions(timeout, what);
  const given = timeout === null || typeof timeout === 'number' || (typeof timeout === 'object' && timeout.timeout !== undefined);
  return given ? o : { ms: 0, signal: o.signal };
}

function slice(buf: Uint8Array, offset: number | undefined, size: number | undefined, what: string): Uint8Array {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${what}: expected a Buffer or Uint8Array, got ${describe(buf)}`);
  const off = offset ?? 0;
  if (!Number.isInteger(off) || off < 0 || off > buf.byteLength) throw new ValueError(`${what}: offset ${off} is outside a buffer of ${buf.byteLength} bytes`);
  const n = size ?? buf.byteLength - off;
  if (!Number.isInteger(n) || n < 0 || off + n > buf.byteLength) throw new ValueError(`${what}: size ${n} from offset ${off} overruns a buffer of ${buf.byteLength} bytes`);
  return buf.subarray(off, off + n);
}

function intoTaker(buf: Uint8Array, offset: number, what: string): (m: Incoming) => number {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${what}: expected a Buffer or Uint8Array, got ${describe(buf)}`);
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.byteLength) throw new ValueError(`${what}: offset ${offset} is outside a buffer of ${buf.byteLength} bytes`);
  return (m) => {
    const n = m.payload.byteLength;
    if (n > buf.byteLength - offset) throw new BufferTooShortError(`${what}: a message of ${n} bytes does not fit in ${buf.byteLength - offset} bytes`, Buffer.from(m.payload));
    buf.set(m.payload, offset);
    return n;
  };
}

/** Resolves true once the ring may be readable, false after ms (-1: never gives up). */
export function waitReadable(ring: Ring, ms: number, weak = false, signal: AbortSignal | null = null): Promise<boolean> {
  return runAsync(core(), ring.readableSteps(deadlineOf(ms)), { weak, signal });
}

/** Python's Pipe(duplex): two Connections; one-way gives [read end, write end]. */
/** @internal The two ends of a one-way pipe over a ring: [read end, write end]. */
export function oneWay(ring: Ring): [Connection, Connection] {
  return [new Connection(ring, null), new Connection(null, ring)];
}

export function Pipe(duplex = true, options: { capacity?: number } = {}): [Connection, Connection] {
  if (typeof duplex !== 'boolean') throw new TypeError(`Pipe(duplex): expected a boolean, got ${describe(duplex)}`);
  const cap = checkOptions(options, ['capacity'], 'Pipe')?.capacity ?? PIPE_CAPACITY;
  const a = new Ring(cap);
  a.ends.countReaders();
  if (!duplex) return oneWay(a);
  const b = new Ring(cap);
  b.ends.countReaders();
  return [new Connection(a, b), new Connection(b, a)];
}

