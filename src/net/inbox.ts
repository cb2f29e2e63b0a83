// The receiving half of a socket connection: incoming chunks parsed into whole frames as they
// arrive (each checked against the limit from its header alone, before anything is allocated
// for its body), the frames queued in order, the end of the stream (EOF, an error, close), and
// the receivers waiting for a frame, served in call order. Flow control lives here too: the
// socket is paused while more than HIGH_WATER bytes of whole frames wait to be read, so a fast
// sender meets TCP's backpressure instead of filling our memory.
// It is the hot path of every recv: a frame already queued is handed over at once, a waiting
// receiver is one record in a FIFO (no timer, no closure per call) served from the 'data'
// event; poll()'s waits (rare) are a set of callbacks raced against a timer with within().
import type { Socket } from 'node:net';
import { EOFError, type FrameError, ValueError } from '../errors.js';
import { within } from '../util/promised.js';
import { FrameReader, HANDSHAKE_FRAME_MAX } from './framing.js';

const HIGH_WATER = 4 << 20;
const LOW_WATER = 1 << 20;
const NOT_YET = null;

/** What a receiver does with its frame (its result resolves the receiver's promise; a throw rejects it). */
export type Use<T> = (frame: Buffer) => T;
/** The frame itself. */
export const AS_IS: Use<Buffer> = (f) => f;

interface Taker {
  what: string;
  use: Use<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

/** Keeps the socket ref'd while something waits on it (counted by the connection). */
export interface Hold {
  ref(): void;
  unref(): void;
}

export class Inbox {
  #socket: Socket;
  #hold: Hold;
  #reader = new FrameReader();
  #frames: Buffer[] = [];
  #head = 0;
  #queued = 0;
  #paused = false;
  #max: number;
  /** Handshake frames are parsed one at a time with CPython's 256-byte cap: what follows is parsed with #max. */
  #handshaking = true;
  #eof = false;
  #error: Error | null = null;
  #closed = false;
  #takers: Taker[] = [];
  /** The waiting takers hold one ref on the socket (taken and given back once, however re-entered). */
  #takersHold = false;
  #waiters = new Set<() => void>();

  constructor(socket: Socket, max: number, hold: Hold) {
    this.#socket = socket;
    this.#max = max;
    this.#hold = hold;
  }

  get error(): Error | null {
    return this.#error;
  }

  // ---- what the socket tells -----------------------------------------------------------

  push(chunk: Buffer): void {
    this.#reader.push(chunk);
    this.#parse();
    if (!this.#paused && this.#queued > HIGH_WATER) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#wake();
  }
  /** The other end finished writing (EOF); in the middle of a frame that is a truncation. */
  end(): void {
    this.#eof = true;
    if (this.#reader.partial && !this.#error) this.#error = Object.assign(new EOFError('the other end closed the connection in the middle of a message'), { code: 'EPROTO' });
    this.#wake();
  }
  /** The socket closed (after 'end', or an error, or our destroy). */
  gone(): void {
    this.#eof = true;
    this.#wake();
  }
  fail(e: Error): void {
    this.#error ??= e;
    this.#wake();
  }
  /** Closed on our side: what was not read is dropped, every wait ends. */
  close(): void {
    this.#closed = true;
    this.#frames = [];
    this.#head = 0;
    this.#queued = 0;
    this.#wake();
  }
  /** The handshake is over: frames are now parsed with maxMessageSize. */
  handshakeDone(): void {
    this.#handshaking = false;
    this.#parse();
    this.#wake();
  }

  // ---- receivers -----------------------------------------------------------------------

  /**
   * The next frame, through `use`. Waiting takers queue in call order and are served as frames
   * arrive; an abort takes its taker out. The caller has checked that the connection is open.
   */
  take<T>(what: string, signal: AbortSignal | undefined, use: Use<T>): Promise<T> {
    if (this.#takers.length === 0) {
      const f = this.#next(what);
      if (f !== NOT_YET) return Promise.resolve(use(f));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
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
        this.#hold.ref();
      }
    });
  }

  /** The next frame if one is queued and no receiver waits, else null (the end, if known, is thrown). */
  takeNow(what: string): Buffer | null {
    return this.#takers.length === 0 ? this.#next(what) : null;
  }

  /** Whether a recv would not wait: a frame is queued, or the end (EOF, error, closed) is known. */
  ready(): boolean {
    return this.#head < this.#frames.length || this.#eof || this.#error !== null || this.#closed;
  }

  /** true once ready() (now or within ms; -1: no limit), false after ms; the signal's reason on abort. */
  whenReady(ms: number, signal?: AbortSignal | null): Promise<boolean> {
    if (this.ready()) return Promise.resolve(true);
    if (ms === 0) return Promise.resolve(false);
    let waiter!: () => void;
    const p = new Promise<boolean>((resolve) => {
      waiter = () => resolve(true);
    });
    this.#waiters.add(waiter);
    this.#hold.ref();
    const done = () => {
      this.#waiters.delete(waiter);
      this.#hold.unref();
    };
    const r = within(p, ms, () => false, signal);
    r.then(done, done);
    return r;
  }

  /** Serves waiting takers in order while frames (or the reason there will be none) are there. */
  #serve(): void {
    while (this.#takers.length > 0) {
      const t = this.#takers[0];
      let v: unknown;
      try {
        const f = this.#next(t.what);
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
      this.#hold.unref();
    }
  }

  #wake(): void {
    if (this.#takers.length > 0) this.#serve();
    if (this.#waiters.size > 0 && this.ready()) for (const w of [...this.#waiters]) w();
  }

  // ---- frames --------------------------------------------------------------------------

  /** A whole frame, NOT_YET, or the reason there will be none (closed, error, EOF) thrown. */
  #next(what: string): Buffer | typeof NOT_YET {
    // During the handshake frames are parsed one at a time: the next may already be buffered.
    if (this.#handshaking && this.#head === this.#frames.length) this.#parse();
    if (this.#head < this.#frames.length) {
      const f = this.#frames[this.#head];
      this.#frames[this.#head++] = undefined as unknown as Buffer;
      if (this.#head === this.#frames.length) {
        this.#frames.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
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
}
