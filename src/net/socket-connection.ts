// SocketConnection: what Listener.accept() and Client() give, a Connection over a TCP or Unix
// socket speaking CPython's multiprocessing.connection wire format. It has the methods of a
// Pipe's Connection (all async: a socket has no honest Sync twin here, as the event loop owns
// it) and works with mp.wait(). It owns the socket and the sending; the incoming frames, the
// end of the stream and the waiting receivers are its Inbox (inbox.ts). The socket is unref'd
// except while a call waits on it or a write is pending: as in Python, an idle connection does
// not keep the program running, a pending send does.
// Sends and receives are the hot path of an echo: a send whose bytes reach the kernel at once
// (libuv tries the write synchronously) resolves without a write callback, a frame already
// received is handed over without waiting, and neither allocates a closure or a timer.
import type { Socket } from 'node:net';
import { SEND } from '../codec/codec.js';
import { BufferTooShortError, TimeoutError, ValueError } from '../errors.js';
import { WAITABLE, type WaitTarget } from '../process/waitable.js';
import { describe, timeoutMs } from '../util/options.js';
import { within } from '../util/promised.js';
import { coalesced, frameHeader, frameSmall } from './framing.js';
import type { FrameChannel } from './handshake.js';
import { AS_IS, Inbox, type Hold, type Use } from './inbox.js';
import { decodeFromSocket, encodeForSocket } from './wire-codec.js';
import { checkWaitOptions, type WaitOptions } from './options.js';
import type { NodeBuffer } from '../util/node-types.js';
import type { ConnectionLike } from '../connection/interface.js';

const DONE = Promise.resolve();
const EMPTY = Buffer.alloc(0);
/** How long close() lets a peer that never reads keep the socket before dropping it. */
const LINGER_MS = 10_000;

export class SocketConnection implements ConnectionLike {
  #socket: Socket;
  #inbox: Inbox;
  #closed = false;
  /** The socket is ref'd while anything waits on it (the Inbox's receivers, a pending write). */
  #hold: SocketHold;
  /** The codec used by send/recv (another serializer would plug in here). */
  #encode: (v: unknown, what: string) => Buffer = encodeForSocket;
  #decode: (b: Buffer) => unknown = decodeFromSocket;

  /** @internal Made by Listener and Client around a socket (connected, or still connecting: the handshake's first read waits for it). */
  constructor(socket: Socket, maxMessageSize: number) {
    this.#socket = socket;
    this.#hold = new SocketHold(socket);
    this.#inbox = new Inbox(socket, maxMessageSize, this.#hold);
    // The handshake's small frames must never wait for Nagle's algorithm and a delayed ACK
    // (a no-op on a Unix socket).
    socket.setNoDelay(true);
    socket.unref();
    const inbox = this.#inbox;
    socket.on('data', (chunk: Buffer) => inbox.push(chunk));
    socket.on('end', () => inbox.end());
    socket.on('error', (e) => inbox.fail(e));
    socket.on('close', () => inbox.gone());
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

  /**
   * @internal Runs `handshake` within ms (-1: no limit; a signal's abort ends it too); after
   * it, frames are parsed with maxMessageSize. One timer for the whole handshake.
   */
  async authenticate(handshake: (ch: FrameChannel) => Promise<void>, ms: number, signal?: AbortSignal): Promise<void> {
    const done = handshake(this);
    await (ms < 0 && !signal ? done : within(done, ms, () => {
      throw new TimeoutError(this.#socket.connecting ? `could not connect within ${Math.round(ms)} ms` : `the authentication handshake did not finish within ${Math.round(ms)} ms`);
    }, signal));
    this.#inbox.handshakeDone();
  }
  /** @internal Ends the handshake phase without one (no authkey). */
  skipHandshake(): void {
    this.#inbox.handshakeDone();
  }
  /** @internal */
  readHandshakeFrame(): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new ValueError('handshake: the connection is closed'));
    return this.#inbox.take('handshake', undefined, AS_IS);
  }
  /** @internal */
  receivedFrame(): Buffer | null {
    return this.#closed ? null : this.#inbox.takeNow('handshake');
  }
  /** @internal */
  writeFrames(...payloads: Uint8Array[]): void {
    this.#socket.write(payloads.length === 1 ? frameSmall(payloads[0]) : Buffer.concat(payloads.map(frameSmall)));
  }

  // ---- sending --------------------------------------------------------------------------

  /** Sends an object (encoded with this package's codec: Python cannot read it, see recvBytes). */
  send(obj: unknown): Promise<void> {
    try {
      this.#check('send');
      return this.#write(this.#encode(obj, 'send'));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Sends the bytes of buf[offset .. offset + size] as one message (Python's send_bytes; offset and size in bytes). */
  sendBytes(buf: ArrayBufferView, offset?: number, size?: number): Promise<void> {
    try {
      this.#check('sendBytes');
      return this.#write(slice(buf, offset, size));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #write(payload: Uint8Array): Promise<void> {
    const s = this.#socket;
    const error = this.#inbox.error;
    if (error && s.destroyed) return Promise.reject(error);
    if (coalesced(payload.byteLength)) {
      const idle = s.writableLength === 0 && !s.connecting;
      s.write(frameSmall(payload));
      // Usually the write completes at once (libuv tries it synchronously): then the bytes are
      // in the kernel, as after Python's send_bytes, and no callback is needed.
      if (idle && s.writableLength === 0) return DONE;
    } else {
      s.cork();
      s.write(frameHeader(payload.byteLength));
      s.write(payload);
      s.uncork();
    }
    return this.#flushed();
  }

  /** Resolves once everything written so far has gone to the kernel (an empty write's callback comes after the others'). */
  #flushed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#hold.ref();
      this.#socket.write(EMPTY, (err?: Error | null) => {
        this.#hold.unref();
        if (err) reject(this.#inbox.error ?? err);
        else resolve();
      });
    });
  }

  // ---- receiving ------------------------------------------------------------------------

  /** The next object sent with send(); EOFError once the other end has closed and all is read. */
  recv(options?: WaitOptions): Promise<unknown> {
    return this.#take('recv', options, this.#decode);
  }

  /** The next message as bytes; over maxlength: an error, and the connection closes (as Python). */
  recvBytes(maxlength?: number | null, options?: WaitOptions): Promise<NodeBuffer> {
    if (maxlength == null) return this.#take('recvBytes', options, AS_IS);
    if (!(Number.isInteger(maxlength) && maxlength >= 0)) return Promise.reject(new ValueError(`recvBytes: maxlength must be a non-negative integer, got ${describe(maxlength)}`));
    return this.#take('recvBytes', options, (f) => {
      if (f.length > maxlength) {
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

  #take<T>(what: string, options: WaitOptions | undefined, use: Use<T>): Promise<T> {
    try {
      this.#check(what);
      return this.#inbox.take(what, options === undefined ? undefined : checkWaitOptions(options, what), use);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Whether there is something to read: now (no timeout), within timeout ms, or ever (null). */
  poll(timeout?: number | null, options?: WaitOptions): Promise<boolean> {
    try {
      this.#check('poll');
      const ms = timeout === undefined ? 0 : timeoutMs(timeout, 'poll');
      return this.#inbox.whenReady(ms, checkWaitOptions(options, 'poll'));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---- lifetime -------------------------------------------------------------------------

  #check(what: string): void {
    if (this.#closed) throw new ValueError(`${what}: the connection is closed`);
  }

  /** Closes the connection: what was sent is still delivered; what was not read is dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const s = this.#socket;
    s.end(() => s.destroy());
    // A peer that never reads must not keep the socket open for ever: bytes still queued get
    // LINGER_MS to leave (nothing queued: the FIN goes at once, and the socket with it).
    if (s.writableLength > 0 || s.connecting) {
      const linger = setTimeout(() => s.destroy(), LINGER_MS).unref();
      s.once('close', () => clearTimeout(linger));
    }
    this.#inbox.close();
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
    this.#inbox.close();
  }

  [WAITABLE](): WaitTarget {
    this.#check('wait');
    return { ready: () => this.#inbox.ready(), whenReady: (ms, signal) => this.#inbox.whenReady(ms, signal) };
  }

  [SEND](): never {
    throw new TypeError('a socket connection (from Listener.accept() or Client()) cannot be sent to another process: send the address (and authkey) instead, and connect there with mp.Client');
  }

  toString(): string {
    return `<SocketConnection ${this.#closed ? 'closed' : 'rw'}>`;
  }
}

/** Counts what waits on a socket: ref'd from the first to the last (methods, not closures: one object per connection). */
class SocketHold implements Hold {
  #socket: Socket;
  #refs = 0;
  constructor(socket: Socket) {
    this.#socket = socket;
  }
  ref(): void {
    if (this.#refs++ === 0) this.#socket.ref();
  }
  unref(): void {
    if (--this.#refs === 0) this.#socket.unref();
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
