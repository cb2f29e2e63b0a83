// A client's line to a manager's server: one per server and thread, made on first use. A member
// of the server's family (the owner, its children, anyone a proxy reached through a Pipe, Queue
// or Process args) talks over a shared-memory pipe of its own, which it hands to the server
// through the server's inbox (a Queue) and announces by ringing the server's bell (a
// Semaphore); anyone else connects to the server's socket address with the authkey. Calls are
// matched to replies by sequence number, so many may be in flight; the line reads replies only
// while a call waits (an idle line keeps no process alive).
// A family call that is alone on its line writes its request straight into the ring and waits
// for the reply synchronously, briefly (a spin, then a futex wait of at most SYNC_MS): a kernel
// wake-up of a blocked thread is several times quicker than one through the event loop, and
// the server answers most calls within microseconds. A reply slower than that switches the
// line to the event loop's wait for a while, so a slow method never blocks the caller's loop
// for more than SYNC_MS.
import { decode } from '../codec/codec.js';
import { core } from '../core/core.js';
import { Connection } from '../connection/connection.js';
import type { Incoming } from '../connection/message.js';
import { Ring } from '../connection/ring.js';
import { ProcessError } from '../errors.js';
import { Client } from '../net/client.js';
import type { Address } from '../net/options.js';
import type { SocketConnection } from '../net/socket-connection.js';
import { currentProcess } from '../process/process.js';
import type { Queue } from '../queues/queue.js';
import { ownerId } from '../core/core.js';
import type { Semaphore } from '../sync/semaphore.js';
import { decodeReply, encodeRequest, Op, Scratch, Status } from './protocol.js';

/** Where a server is: carried by every proxy. */
export interface ServerRef {
  id: string;
  family: number;
  address: Address | null;
  /** encode([inbox, bell]): usable in the server's family only. */
  wires: Uint8Array | null;
}
export type Answer = { status: Status; value: unknown };
type Reply = Answer & { seq: number };

const PIPE_CAPACITY = 1 << 16;
/** Longest a family call blocks its thread waiting for a quick reply (ms). */
const SYNC_MS = 1;
/** How long a call watches for its reply before it sleeps (ms). */
const SPIN_MS = 0.1;
/** After a reply slower than SYNC_MS, calls wait through the event loop for this long (ms). */
const SLOW_MS = 50;
const NONE = Symbol('none');
const takeReply = (m: Incoming): Reply => decodeReply(m.payload);

/** @internal A pipe to a server: [the client's end, the server's end, the ring the server reads, the ring it writes]. */
export function managerPipe(): [Connection, Connection, Ring, Ring] {
  const up = new Ring(PIPE_CAPACITY), down = new Ring(PIPE_CAPACITY);
  up.ends.countReaders();
  down.ends.countReaders();
  return [new Connection(down, up), new Connection(up, down), up, down];
}

export abstract class Link {
  readonly #pending = new Map<number, { resolve(a: Answer): void; reject(e: unknown): void }>();
  #seq = 0;
  #pumping = false;
  dead: Error | null = null;
  /** @internal */
  protected readonly scratch = new Scratch();

  constructor(readonly ref: ServerRef) {}

  /** @internal Writes the frame in buf[0, n) (buf is reused: copy it if it is kept). */
  protected abstract write(buf: Buffer, n: number): void;
  /** @internal */
  protected abstract read(): Promise<Buffer>;
  /** @internal */
  protected abstract end(): void;

  call(op: Op, ident: number, name: string, args: readonly unknown[], signal?: AbortSignal | null): Promise<Answer> {
    if (this.dead) return Promise.reject(this.dead);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    try {
      const n = encodeRequest(this.scratch, op, seq, ident, name, args); // (first: it may grow the buffer)
      this.write(this.scratch.buf, n);
    } catch (e) {
      return Promise.reject(this.dead ?? e);
    }
    if (!signal && this.#pending.size === 0 && !this.#pumping) {
      const a = this.quick(seq);
      if (a) return Promise.resolve(a);
    }
    return new Promise<Answer>((resolve, reject) => {
      let onAbort: (() => void) | null = null;
      if (signal) {
        onAbort = () => {
          if (!this.#pending.delete(seq)) return;
          this.post(Op.CANCEL, seq, '');
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      const done = () => onAbort && signal!.removeEventListener('abort', onAbort);
      this.#pending.set(seq, { resolve: (a) => (done(), resolve(a)), reject: (e) => (done(), reject(e)) });
      if (!this.#pumping) void this.pump();
    });
  }

  /** A message that needs no answer (reference counts, hello, cancel). */
  post(op: Op, ident: number, name = '', args: readonly unknown[] = []): void {
    if (this.dead) return;
    try {
      const n = encodeRequest(this.scratch, op, 0, ident, name, args);
      this.write(this.scratch.buf, n);
    } catch {
      // the server is gone: nothing left to count
    }
  }

  /** The reply to call `seq` if it comes at once (the line's only call): null to wait for it. */
  protected quick(_seq: number): Reply | null {
    return null;
  }
  /** Settles the call a reply answers. */
  protected settle(a: Reply): void {
    const p = this.#pending.get(a.seq);
    if (!p) return;
    this.#pending.delete(a.seq);
    p.resolve(a);
  }

  private async pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#pending.size > 0) {
        this.settle(decodeReply(await this.read()));
      }
    } catch (e) {
      this.fail(new ProcessError(`the manager's server is gone (it was shut down or died): ${(e as Error).message}`, { cause: e }));
    } finally {
      this.#pumping = false;
    }
  }

  /** Every call from now on rejects with `reason`; those waiting reject now. */
  fail(reason: Error): void {
    if (!this.dead) this.dead = reason;
    for (const p of this.#pending.values()) p.reject(this.dead);
    this.#pending.clear();
    links.delete(this.ref.id);
    try {
      this.end();
    } catch {
      // already closed
    }
  }
}

class PipeLink extends Link {
  /** Until when calls wait through the event loop (a reply was slow). */
  #slowUntil = 0;
  constructor(ref: ServerRef, readonly conn: Connection, readonly up: Ring, readonly down: Ring, readonly bell: Semaphore) {
    super(ref);
  }
  protected write(buf: Buffer, n: number): void {
    // The fast path copies the frame straight into the ring; a full ring waits for room.
    const frame = buf.subarray(0, n);
    if (!this.up.tryWrite(frame)) this.conn.sendBytesSync(Buffer.from(frame));
    this.bell.release();
  }
  protected async read(): Promise<Buffer> {
    return (await this.conn.recv()) as Buffer;
  }
  protected override quick(seq: number): Reply | null {
    const start = performance.now();
    if (start < this.#slowUntil) return null;
    try {
      for (;;) {
        const a = this.down.tryRead(takeReply, NONE);
        if (a !== NONE) {
          if (a.seq === seq) return a;
          continue; // the late reply of a cancelled call
        }
        // Watch the ring for a while (the answer usually comes within microseconds, and a
        // sleeping thread on an idle core wakes tens of microseconds late), then sleep.
        const spinUntil = performance.now() + SPIN_MS;
        while (this.down.empty() && performance.now() < spinUntil);
        const left = SYNC_MS - (performance.now() - start);
        if (!this.down.empty()) {
          // (read below)
        } else if (left <= 0 || !this.conn.pollSync(left)) {
          this.#slowUntil = performance.now() + SLOW_MS;
          return null;
        }
        // Not whole (a large reply streaming in) or the end: the pump reads it.
        const b = this.down.tryRead(takeReply, NONE);
        if (b === NONE) return null;
        if (b.seq === seq) return b;
      }
    } catch {
      return null; // the pump meets the same error and fails the line
    }
  }
  protected end(): void {
    this.conn.close();
  }
}

class SocketLink extends Link {
  #conn: SocketConnection | null = null;
  #queued: Buffer[] = [];
  readonly ready: Promise<void>;
  constructor(ref: ServerRef, authkey: Buffer | string | null) {
    super(ref);
    this.ready = Client(ref.address!, { authkey }).then((c) => {
      this.#conn = c;
      for (const f of this.#queued.splice(0)) void c.sendBytes(f).catch(() => {});
    }, (e) => this.fail(e as Error));
  }
  protected write(buf: Buffer, n: number): void {
    const frame = Buffer.from(buf.subarray(0, n));
    if (this.#conn) void this.#conn.sendBytes(frame).catch((e) => this.fail(e as Error));
    else this.#queued.push(frame);
  }
  protected read(): Promise<Buffer> {
    if (this.#conn && !this.dead) return this.#conn.recvBytes();
    return this.ready.then(() => {
      if (this.dead) throw this.dead;
      return this.#conn!.recvBytes();
    });
  }
  protected end(): void {
    this.#conn?.close();
  }
}

/** @internal A line that is the server itself (proxies the server holds inside its own objects). */
export class SelfLink extends Link {
  constructor(ref: ServerRef, private readonly local: (frame: Buffer) => Promise<Buffer> | null) {
    super(ref);
  }
  #replies: Promise<Buffer>[] = [];
  protected write(buf: Buffer, n: number): void {
    const r = this.local(Buffer.from(buf.subarray(0, n)));
    if (r) this.#replies.push(r);
  }
  protected read(): Promise<Buffer> {
    return this.#replies.shift()!;
  }
  protected end(): void {}
}

// This thread's lines, by server id.
const links = new Map<string, Link>();
/** Authkeys given to connect() here, by address: a proxy arriving for that server uses it. */
const authkeys = new Map<string, Buffer | string | null>();

/** @internal */
export function rememberAuthkey(address: Address, key: Buffer | string | null): void {
  authkeys.set(JSON.stringify(address), key);
}
/** @internal */
export function setLink(id: string, link: Link): void {
  links.set(id, link);
}
/** @internal */
export function dropLink(id: string, reason: Error): void {
  links.get(id)?.fail(reason);
}

/** @internal This thread's line to the server (made now if needed). */
export function linkTo(ref: ServerRef): Link {
  const known = links.get(ref.id);
  if (known) return known;
  let link: Link;
  if (ref.wires && ref.family === core().family) {
    const [inbox, bell] = decode(ref.wires) as [Queue, Semaphore];
    const [mine, theirs, up, down] = managerPipe();
    link = new PipeLink(ref, mine, up, down, bell);
    inbox.putSync([theirs, up, down]);
    theirs.close();
    link.post(Op.HELLO, 0, '', [ownerId]);
  } else if (ref.address != null) {
    const key = authkeys.has(JSON.stringify(ref.address)) ? authkeys.get(JSON.stringify(ref.address))! : currentProcess().authkey;
    link = new SocketLink(ref, key);
  } else {
    throw new ProcessError(`a proxy of manager ${ref.id} reached a process outside its family, and the manager has no address to connect to`);
  }
  links.set(ref.id, link);
  return link;
}

/** @internal The family line of the manager's owner, over the pipe it gave its server at start. */
export function ownerLink(ref: ServerRef, conn: Connection, up: Ring, down: Ring, bell: Semaphore): Link {
  const link = new PipeLink(ref, conn, up, down, bell);
  links.set(ref.id, link);
  link.post(Op.HELLO, 0, '', [ownerId]);
  return link;
}
/** @internal A socket line made by connect(): resolves once authenticated. */
export async function connectLink(ref: ServerRef, authkey: Buffer | string | null): Promise<Link> {
  const link = new SocketLink(ref, authkey);
  await link.ready;
  if (link.dead) throw link.dead;
  links.set(ref.id, link);
  return link;
}
