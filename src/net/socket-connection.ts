// SocketConnection: what Listener.accept() and Client() give, a Connection over a TCP or Unix
// socket speaking CPython's multiprocessing.connection wire format. It has the methods of a
// Pipe's Connection (all async: a socket has no honest Sync twin here, as the event loop owns
// it) and works with mp.wait(). It owns the socket, the incoming frames (parsed as they
// arrive, each checked against maxMessageSize from its header alone) and the flow control
// (the socket is paused while more than HIGH_WATER bytes of whole frames wait to be read, so a
// fast sender meets TCP's backpressure instead of filling our memory). The socket is unref'd
// except while a call waits on it or a write is pending: as in Python, an idle connection does
// not keep the program running, a pending send does.
import type { Socket } from 'node:net';
import { SEND } from '../codec/codec.js';
import { BufferTooShortError, EOFError, FrameError, TimeoutError, ValueError } from '../errors.js';
import { WAITABLE, type WaitTarget } from '../process/waitable.js';
import { deadlineOf, describe, remaining, timeoutMs } from '../util/options.js';
import { FrameReader, HANDSHAKE_FRAME_MAX, framed } from './framing.js';
import type { FrameChannel } from './handshake.js';
import { decodeFromSocket, encodeForSocket } from './wire-codec.js';
import { checkWaitOptions, type WaitOptions } from './options.js';
import type { NodeBuffer } from '../util/node-types.js';
import { promised } from '../util/promised.js';
import type { ConnectionLike } from '../connection/interface.js';

const HIGH_WATER = 4 << 20;
const LOW_WATER = 1 << 20;
const NOT_YET = Symbol('not yet');
const DONE = Promise.resolve();
const EMPTY = Buffer.alloc(0);
type Check<T> = () => T | typeof NOT_YET;
interface Taker {
  what: string;
  use(f: Buffer): unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

export class SocketConnection implements ConnectionLike {
  #socket: Socket;
  #reader = new FrameReader();
  #frames: Buffer[] = [];
  #head = 0;
  #queued = 0;
  #paused = false;
  #max: number;
  #handshaking = true;
  #handshakeDeadline = -1;
  #eof = false;
  #error: Error | null = null;
  #closed = false;
  #waiters = new Set<() => void>();
  #takers: Taker[] = [];
  /** The waiting takers hold one ref on the socket (taken and given back once, however re-entered). */
  #takersHold = false;
  #refs = 0;
  /** The codec used by send/recv (another serializer would plug in here). */
  #encode: (v: unknown, what: string) => Buffer = encodeForSocket;
  #decode: (b: Buffer) => unknown = decodeFromSocket;

  /** @internal Made by Listener and Client around a connected socket. */
  constructor(socket: Socket, maxMessageSize: number) {
    this.#socket = socket;
    this.#max = maxMessageSize;
    // The handshake's small frames must never wait for Nagle's algorithm and a delayed ACK
    // (a no-op on a Unix socket).
    socket.setNoDelay(true);
    socket.unref();
    socket.on('data', (chunk: Buffer) => {
      this.#reader.push(chunk);
      this.#pump();
    });
    socket.on('end', () => {
      this.#eof = true;
      if (this.#reader.partial && !this.#error) this.#error = Object.assign(new EOFError('the other end closed the connection in the middle of a message'), { code: 'EPROTO' });
      this.#wake();
    });
    socket.on('error', (e) => {
      this.#error ??= e;
      this.#wake();
    });
    socket.on('close', () => {
      this.#eof = true;
      this.#wake();
    });
  }

  /** @internal Switches the codec (for another serializer, e.g. pickle for Python peers). */
  useCodec(encode: (v: unknown, what: string) => Buffer, decode: (b: Buffer) => unknown): void {
    this.#encode = encode;
    this.#decode = decode;
  }

  get closed(): boolean {
    return this.#closed;
  }
  get readable(): boolean {
    return !this.#closed;
  }
  get writable(): boolean {
    return !this.#closed;
  }

  // ---- the handshake's view (FrameChannel) -------------------------------------------------

  /** @internal Runs `handshake` with a deadline; after it, frames are parsed with maxMessageSize. */
  async authenticate(handshake: (ch: FrameChannel) => Promise<void>, ms: number): Promise<void> {
    this.#handshakeDeadline = deadlineOf(ms);
    await handshake(this);
    this.#handshaking = false;
    this.#pump();
  }
  /** @internal Ends the handshake phase without one (no authkey). */
  skipHandshake(): void {
    this.#handshaking = false;
    this.#pump();
  }
  /** @internal */
  readHandshakeFrame(): Promise<Buffer> {
    const ms = remaining(this.#handshakeDeadline);
    return this.#until(() => this.#nextFrame('handshake') as Buffer | typeof NOT_YET, ms, undefined, () => {
      throw new TimeoutError(`the authentication handshake did not finish within the handshake timeout`);
    });
  }
  writeFrame(payload: Uint8Array): void {
    for (const p of framed(payload)) this.#socket.write(p);
  }

  // ---- sending --------------------------------------------------------------------------

  /** Sends an object (encoded with this package's codec: Python cannot read it, see recvBytes). */
  send(obj: unknown): Promise<void> {
    return promised(() => {
      this.#check('send');
      return this.#write(this.#encode(obj, 'send'));
    });
  }

  /** Sends the bytes of buf[offset .. offset + size] as one message (Python's send_bytes; offset and size in bytes). */
  sendBytes(buf: ArrayBufferView, offset?: number, size?: number): Promise<void> {
    return promised(() => {
      this.#check('sendBytes');
      return this.#write(slice(buf, offset, size));
    });
  }

  #write(payload: Uint8Array): Promise<void> {
    const s = this.#socket;
    if (this.#error && s.destroyed) return Promise.reject(this.#error);
    const parts = framed(payload);
    if (parts.length === 1 && s.writableLength === 0 && !s.connecting) {
      // Usually the write completes at once (libuv tries it synchronously): then the bytes are
      // in the kernel, as after Python's send_bytes, and no callback is needed.
      s.write(parts[0]);
      if (s.writableLength === 0) return DONE;
      return this.#flushed();
    }
    if (parts.length === 1) s.write(parts[0]);
    else {
      s.cork();
      s.write(parts[0]);
      s.write(parts[1]);
      s.uncork();
    }
    return this.#flushed();
  }

  /** Resolves once everything written so far has gone to the kernel (an empty write's callback comes after the others'). */
  #flushed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#ref();
      this.#socket.write(EMPTY, (err?: Error | null) => {
        this.#unref();
        if (err) reject(this.#error ?? err);
        else resolve();
      });
    });
  }

  // ---- receiving ------------------------------------------------------------------------

  /** The next object sent with send(); EOFError once the other end has closed and all is read. */
  recv(options?: WaitOptions): Promise<unknown> {
    return this.#take('recv', options, (f) => this.#decode(f));
  }

  /** The next message as bytes; over maxlength: an error, and the connection closes (as Python). */
  recvBytes(maxlength?: number | null, options?: WaitOptions): Promise<NodeBuffer> {
    if (maxlength != null && !(Number.isInteger(maxlength) && maxlength >= 0)) return Promise.reject(new ValueError(`recvBytes: maxlength must be a non-negative integer, got ${describe(maxlength)}`));
    return this.#take('recvBytes', options, (f) => {
      if (maxlength != null && f.length > maxlength) {
        this.close();
        throw Object.assign(new Error(`recvBytes: a message of ${f.length} bytes is longer than maxlength ${maxlength}; the connection is closed`), { code: 'EMSGSIZE' });
      }
      return f;
    });
  }

  /** Reads the next message into buf at offset; its length. BufferTooShortError (message in .data) if it does not fit. */
  recvBytesInto(into: ArrayBufferView, offset = 0, options?: WaitOptions): Promise<number> {
    if (!ArrayBuffer.isView(into)) return Promise.reject(new TypeError(`recvBytesInto: expected a Buffer, a typed array or a DataView, got ${describe(into)}`));
    const buf = bytesOf(into);
    if (!Number.isInteger(offset) || offset < 0 || offset > buf.byteLength) return Promise.reject(new ValueError(`recvBytesInto: offset ${offset} is outside a buffer of ${buf.byteLength} bytes`));
    return this.#take('recvBytesInto', options, (f) => {
      if (f.length > buf.byteLength - offset) throw new BufferTooShortError(`recvBytesInto: a message of ${f.length} bytes does not fit in ${buf.byteLength - offset} bytes`, f);
      buf.set(f, offset);
      return f.length;
    });
  }

  /** Whether there is something to read: now (no timeout), within timeout ms, or ever (null). */
  poll(timeout?: number | null, options?: WaitOptions): Promise<boolean> {
    return promised(() => {
      this.#check('poll');
      const ms = timeout === undefined ? 0 : timeoutMs(timeout, 'poll');
      return this.#until(() => (this.#ready() ? true : NOT_YET), ms, checkWaitOptions(options, 'poll'), () => false);
    });
  }

  /**
   * The next frame, through `use`. Waiting takers queue in call order and are served as frames
   * arrive (a cheap path: no timer, one record per call); an abort takes its taker out.
   */
  #take<T>(what: string, options: WaitOptions | undefined, use: (f: Buffer) => T): Promise<T> {
    return promised(() => {
      this.#check(what);
      const signal = checkWaitOptions(options, what);
      if (this.#takers.length === 0) {
        const f = this.#nextFrame(what);
        if (f !== NOT_YET) return Promise.resolve(use(f));
      }
      signal?.throwIfAborted();
      return new Promise<T>((resolve, reject) => {
        const t: Taker = { what, use, resolve: resolve as (v: unknown) => void, reject, signal, onAbort: null };
        if (signal) {
          t.onAbort = () => {
            const i = this.#takers.indexOf(t);
            if (i >= 0) this.#takers.splice(i, 1);
            this.#settled(t);
            reject(signal.reason);
          };
          signal.addEventListener('abort', t.onAbort, { once: true });
        }
        this.#takers.push(t);
        if (!this.#takersHold) {
          this.#takersHold = true;
          this.#ref();
        }
      });
    });
  }

  /** Serves waiting takers in order while frames (or the reason there will be none) are there. */
  #serve(): void {
    while (this.#takers.length > 0) {
      const t = this.#takers[0];
      let f: Buffer | typeof NOT_YET;
      let v: unknown;
      try {
        f = this.#nextFrame(t.what);
        if (f === NOT_YET) return;
        this.#takers.shift();
        v = t.use(f);
      } catch (e) {
        if (this.#takers[0] === t) this.#takers.shift();
        this.#settled(t);
        t.reject(e);
        continue;
      }
      this.#settled(t);
      t.resolve(v);
    }
  }
  #settled(t: Taker): void {
    if (t.onAbort) t.signal!.removeEventListener('abort', t.onAbort);
    if (this.#takers.length === 0 && this.#takersHold) {
      this.#takersHold = false;
      this.#unref();
    }
  }

  /** A whole frame, NOT_YET, or the reason there will be none (error, EOF, closed). */
  #nextFrame(what: string): Buffer | typeof NOT_YET {
    // During the handshake frames are parsed one at a time: the next may already be buffered.
    if (this.#handshaking && this.#head === this.#frames.length) this.#parse();
    if (this.#head < this.#frames.length) {
      const f = this.#frames[this.#head];
      this.#frames[this.#head++] = undefined as unknown as Buffer;
      if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
        this.#frames = this.#frames.slice(this.#head);
        this.#head = 0;
      }
      this.#queued -= f.length;
      if (this.#paused && this.#queued < LOW_WATER) {
        this.#paused = false;
        this.#socket.resume();
      }
      return f;
    }
    if (this.#closed) throw new ValueError(`${what}: the connection is closed`);
    if (this.#error) throw this.#error;
    if (this.#eof) throw new EOFError();
    return NOT_YET;
  }

  #ready(): boolean {
    return this.#head < this.#frames.length || this.#eof || this.#error !== null || this.#closed;
  }

  /** Parses what has arrived into frames (one at a time during the handshake). */
  #parse(): void {
    try {
      for (;;) {
        if (this.#handshaking && this.#head < this.#frames.length) break;
        const f = this.#reader.next(this.#handshaking ? HANDSHAKE_FRAME_MAX : this.#max);
        if (f === null) break;
        this.#frames.push(f);
        this.#queued += f.length;
      }
    } catch (e) {
      const fe = e as FrameError;
      this.#error ??= Object.assign(new Error(`${this.#handshaking ? 'handshake: ' : ''}${fe.message}; the connection is closed`), { code: fe.code });
      this.#socket.destroy();
    }
  }

  #pump(): void {
    this.#parse();
    if (!this.#paused && this.#queued > HIGH_WATER) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#wake();
  }

  // ---- waiting --------------------------------------------------------------------------

  /** Resolves with check()'s value once it has one (re-checked on every event), or onTimeout() after ms. */
  #until<T>(check: Check<T>, ms: number, signal: AbortSignal | undefined, onTimeout: () => T): Promise<T> {
    const v = check();
    if (v !== NOT_YET) return Promise.resolve(v);
    if (ms === 0) return Promise.resolve().then(onTimeout);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        this.#waiters.delete(waiter);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#unref();
        fn();
      };
      let busy = false; // check() may close the connection, which wakes this waiter again
      const waiter = () => {
        if (busy) return;
        busy = true;
        let r: T | typeof NOT_YET;
        try {
          r = check();
        } catch (e) {
          finish(() => reject(e));
          return;
        } finally {
          busy = false;
        }
        if (r !== NOT_YET) finish(() => resolve(r as T));
      };
      const onAbort = () => finish(() => reject(signal!.reason));
      this.#ref();
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (ms > 0) {
        timer = setTimeout(() => {
          finish(() => {
            try {
              resolve(onTimeout());
            } catch (e) {
              reject(e);
            }
          });
        }, ms);
      }
    });
  }

  #wake(): void {
    if (this.#takers.length > 0) this.#serve();
    if (this.#waiters.size > 0) for (const w of [...this.#waiters]) w();
  }
  #ref(): void {
    if (this.#refs++ === 0) this.#socket.ref();
  }
  #unref(): void {
    if (--this.#refs === 0) this.#socket.unref();
  }

  #check(what: string): void {
    if (this.#closed) throw new ValueError(`${what}: the connection is closed`);
  }

  /** Closes the connection: what was sent is still delivered; what was not read is dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const s = this.#socket;
    s.end(() => s.destroy());
    // A peer that never reads must not keep the socket open for ever.
    setTimeout(() => s.destroy(), 10_000).unref();
    this.#frames = [];
    this.#head = 0;
    this.#queued = 0;
    this.#wake();
  }
  [Symbol.dispose](): void {
    this.close();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** @internal Drops the socket at once (a failed or timed-out handshake). */
  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
    this.#wake();
  }

  [WAITABLE](): WaitTarget {
    this.#check('wait');
    // A wait() that another object won leaves this registration behind; it goes at this
    // connection's next event (a message, EOF, close) and holds the socket ref'd until then.
    return { ready: () => this.#ready(), whenReady: (ms) => this.#until(() => (this.#ready() ? true : NOT_YET), ms, undefined, () => false) };
  }

  [SEND](): never {
    throw new TypeError('a socket connection (from Listener.accept() or Client()) cannot be sent to another process: send the address (and authkey) instead, and connect there with mp.Client');
  }

  toString(): string {
    return `<SocketConnection ${this.#closed ? 'closed' : 'rw'}>`;
  }
}

/** Any typed array or DataView as its bytes (Python's memoryview(buf).cast('B')). */
function bytesOf(v: ArrayBufferView): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function slice(view: ArrayBufferView, offset: number | undefined, size: number | undefined): Uint8Array {
  if (!ArrayBuffer.isView(view)) throw new TypeError(`sendBytes: expected a Buffer, a typed array or a DataView, got ${describe(view)}`);
  const buf = bytesOf(view);
  const off = offset ?? 0;
  if (!Number.isInteger(off) || off < 0 || off > buf.byteLength) throw new ValueError(`sendBytes: offset ${off} is outside a buffer of ${buf.byteLength} bytes`);
  const n = size ?? buf.byteLength - off;
  if (!Number.isInteger(n) || n < 0 || off + n > buf.byteLength) throw new ValueError(`sendBytes: size ${n} from offset ${off} overruns a buffer of ${buf.byteLength} bytes`);
  return buf.subarray(off, off + n);
}
