// A client's line to a manager's server: one per server and thread, made on first use. A member
// of the server's family (the owner, its children, anyone a proxy reached through a Pipe, Queue
// or Process args) talks over a shared-memory pipe of its own, which it hands to the server
// through the server's inbox (a Queue) and announces by ringing the server's bell (a
// Semaphore); anyone else connects to the server's socket address with the authkey. Calls are
// matched to replies by sequence number, so many may be in flight; the line reads replies only
// while a call waits (an idle line keeps no process alive).
import { decode, encode } from '../codec/codec.js';
import { core } from '../core/core.js';
import { Connection } from '../connection/connection.js';
import { Ring } from '../connection/ring.js';
import { ProcessError } from '../errors.js';
import { Client } from '../net/client.js';
import type { Address } from '../net/options.js';
import type { SocketConnection } from '../net/socket-connection.js';
import { currentProcess } from '../process/process.js';
import type { Queue } from '../queues/queue.js';
import { ownerId } from '../core/core.js';
import type { Semaphore } from '../sync/semaphore.js';
import { decodeReply, encodeRequest, Op, Status } from './protocol.js';
import type { NodeBuffer } from '../util/node-types.js';

/** Where a server is: carried by every proxy. */
export interface ServerRef {
  id: string;
  family: number;
  address: Address | null;
  /** encode([inbox, bell]): usable in the server's family only. */
  wires: Uint8Array | null;
}
export type Answer = { status: Status; value: unknown };

const PIPE_CAPACITY = 1 << 16;
/** How long a call watches for its reply before it lets the event loop wait (ms). */
const SPIN_MS = 0.05;
const NONE = Symbol('none');

/** A pipe to a server: [the client's end, the server's end, the ring the server reads]. */
export function managerPipe(): [Connection, Connection, Ring] {
  const up = new Ring(PIPE_CAPACITY), down = new Ring(PIPE_CAPACITY);
  up.ends.countReaders();
  down.ends.countReaders();
  return [new Connection(down, up), new Connection(up, down), up];
}

export abstract class Link {
  readonly #pending = new Map<number, { resolve(a: Answer): void; reject(e: unknown): void }>();
  #seq = 0;
  #pumping = false;
  dead: Error | null = null;

  constructor(readonly ref: ServerRef) {}

  protected abstract write(frame: NodeBuffer): void;
  protected abstract read(): Promise<NodeBuffer>;
  protected abstract end(): void;

  call(op: Op, ident: number, name: string, args: readonly unknown[], signal?: AbortSignal | null): Promise<Answer> {
    if (this.dead) return Promise.reject(this.dead);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    let frame: NodeBuffer;
    try {
      frame = encodeRequest(op, seq, ident, name, args);
    } catch (e) {
      return Promise.reject(e);
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
      try {
        this.write(frame);
      } catch (e) {
        this.#pending.delete(seq);
        done();
        reject(this.dead ?? e);
        return;
      }
      if (this.#pending.size === 1 && this.spinFor(seq)) return;
      if (!this.#pumping) void this.pump();
    });
  }

  /** A message that needs no answer (reference counts, hello, cancel). */
  post(op: Op, ident: number, name = '', args: readonly unknown[] = []): void {
    if (this.dead) return;
    try {
      this.write(encodeRequest(op, 0, ident, name, args));
    } catch {
      // the server is gone: nothing left to count
    }
  }

  /** A reply that may come within microseconds: watched for synchronously (the server watches too). */
  protected spinFor(_seq: number): boolean {
    return false;
  }
  /** Settles the call a reply answers. */
  protected settle(frame: Uint8Array): void {
    const a = decodeReply(frame);
    const p = this.#pending.get(a.seq);
    if (!p) return;
    this.#pending.delete(a.seq);
    p.resolve(a);
  }

  private async pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#pending.size > 0) {
        this.settle(await this.read());
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
  constructor(ref: ServerRef, readonly conn: Connection, readonly bell: Semaphore) {
    super(ref);
  }
  protected write(frame: NodeBuffer): void {
    this.conn.sendBytesSync(frame);
    this.bell.release();
  }
  protected async read(): Promise<NodeBuffer> {
    return (await this.conn.recv()) as Buffer;
  }
  protected override spinFor(seq: number): boolean {
    const until = performance.now() + SPIN_MS;
    do {
      if (this.conn.hasData()) {
        const got = this.conn.tryRecv(NONE, (m) => (this.settle(m.payload), true));
        return got === true;
      }
    } while (performance.now() < until);
    return false;
  }
  protected end(): void {
    this.conn.close();
  }
}

class SocketLink extends Link {
  #conn: SocketConnection | null = null;
  #queued: NodeBuffer[] = [];
  readonly ready: Promise<void>;
  constructor(ref: ServerRef, authkey: NodeBuffer | string | null) {
    super(ref);
    this.ready = Client(ref.address!, { authkey }).then((c) => {
      this.#conn = c;
      for (const f of this.#queued.splice(0)) void c.sendBytes(f).catch(() => {});
    }, (e) => this.fail(e as Error));
  }
  protected write(frame: NodeBuffer): void {
    if (this.#conn) void this.#conn.sendBytes(frame).catch((e) => this.fail(e as Error));
    else this.#queued.push(frame);
  }
  protected async read(): Promise<NodeBuffer> {
    await this.ready;
    if (this.dead) throw this.dead;
    return this.#conn!.recvBytes();
  }
  protected end(): void {
    this.#conn?.close();
  }
}

/** A line that is the server itself (proxies the server holds inside its own objects). */
export class SelfLink extends Link {
  constructor(ref: ServerRef, private readonly local: (frame: NodeBuffer) => Promise<NodeBuffer> | null) {
    super(ref);
  }
  #replies: Promise<NodeBuffer>[] = [];
  protected write(frame: NodeBuffer): void {
    const r = this.local(frame);
    if (r) this.#replies.push(r);
  }
  protected read(): Promise<NodeBuffer> {
    return this.#replies.shift()!;
  }
  protected end(): void {}
}

// This thread's lines, by server id.
const links = new Map<string, Link>();
/** Authkeys given to connect() here, by address: a proxy arriving for that server uses it. */
const authkeys = new Map<string, NodeBuffer | string | null>();

export function rememberAuthkey(address: Address, key: NodeBuffer | string | null): void {
  authkeys.set(JSON.stringify(address), key);
}
export function setLink(id: string, link: Link): void {
  links.set(id, link);
}
export function dropLink(id: string, reason: Error): void {
  links.get(id)?.fail(reason);
}

/** This thread's line to the server (made now if needed). */
export function linkTo(ref: ServerRef): Link {
  const known = links.get(ref.id);
  if (known) return known;
  let link: Link;
  if (ref.wires && ref.family === core().family) {
    const [inbox, bell] = decode(ref.wires) as [Queue, Semaphore];
    const [mine, theirs, ring] = managerPipe();
    link = new PipeLink(ref, mine, bell);
    inbox.putSync([theirs, ring]);
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

/** The family line of the manager's owner, over the pipe it gave its server at start. */
export function ownerLink(ref: ServerRef, conn: Connection, bell: Semaphore): Link {
  const link = new PipeLink(ref, conn, bell);
  links.set(ref.id, link);
  link.post(Op.HELLO, 0, '', [ownerId]);
  return link;
}
/** A socket line made by connect(): resolves once authenticated. */
export async function connectLink(ref: ServerRef, authkey: NodeBuffer | string | null): Promise<Link> {
  const link = new SocketLink(ref, authkey);
  await link.ready;
  if (link.dead) throw link.dead;
  links.set(ref.id, link);
  return link;
}
