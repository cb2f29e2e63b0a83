// The manager's server: the registry (registry.ts) behind two doors. Family members each have
// a shared-memory pipe; the server drains whichever have requests and otherwise waits on its
// bell, a Semaphore every client rings after writing. The process does nothing but serve, so
// while no socket client is connected and no reply waits on a promise, it waits for the bell
// synchronously (a spin, then a futex wait, in slices of SLICE_MS with its event loop turning
// in between, as the pool's workers wait for tasks): a blocked thread wakes several times
// sooner than an event loop does. A socket Listener (CPython's multiprocessing.connection:
// authenticated before anything else, frames size-limited) serves everyone else; while one
// is connected (or a reply waits on a promise), the bell is waited for through the event loop,
// which serves both. Every few hundred milliseconds the server looks for family clients that
// died (their pipe's writer is gone) and gives back what they held. A malformed request drops
// its peer; the server keeps serving the others.
import { Connection } from '../connection/connection.js';
import type { Incoming } from '../connection/message.js';
import type { Ring } from '../connection/ring.js';
import { EOFError } from '../errors.js';
import { Listener, type SocketListener } from '../net/listener.js';
import type { Address } from '../net/options.js';
import type { SocketConnection } from '../net/socket-connection.js';
import type { Queue } from '../queues/queue.js';
import type { Semaphore } from '../sync/semaphore.js';
import { logger } from '../util/logger.js';
import { SelfLink, setLink, type ServerRef } from './link.js';
import { decodeRequest, encodeReply, Op, Scratch, Status, type Request } from './protocol.js';
import { Registry, type Peer, type Reply } from './registry.js';
import type { TypeInfo } from './types.js';
import type { NodeBuffer } from '../util/node-types.js';

/** Longest synchronous wait for the bell before the event loop gets a turn (ms). */
const SLICE_MS = 10;
/** How long the server watches its bell before it sleeps (ms): a client's next call usually comes within microseconds. */
const SPIN_MS = 0.25;
/** While busy, the event loop gets a turn at least this often (ms). */
const TURN_MS = 1;
const CHECK_MS = 200;
/** Longest request a socket client may send (the Listener refuses longer frames unread). */
export const MAX_REQUEST = 64 << 20;

interface PipePeer extends Peer {
  conn: Connection;
  /** The ring the client writes requests into, and the one replies go into. */
  ring: Ring;
  down: Ring;
}
const NONE = Symbol('none');
const NOBODY = -0x7fffffff;

function takeRequest(m: Incoming): Request | null {
  try {
    return decodeRequest(m.payload);
  } catch (e) {
    logger.warn(`manager: a malformed request from a family client was dropped (${(e as Error).message})`);
    return null;
  }
}

export class ManagerServer {
  readonly registry: Registry;
  readonly #pipes = new Set<PipePeer>();
  readonly #sockets = new Set<SocketConnection>();
  #listener: SocketListener | null = null;
  #stopped = false;
  #remoteIds = 0;
  /** Replies that wait on a promise or for room: the event loop has work while any does. */
  #waiting = 0;
  readonly #scratch = new Scratch();
  readonly #done: Promise<void>;
  #finish!: () => void;
  /** The owner's pipe: when it goes (the owner exited or died), the server shuts down. */
  #owner: PipePeer | null = null;

  constructor(
    readonly ref: ServerRef,
    types: Map<string, TypeInfo>,
    private readonly inbox: Queue | null,
    private readonly bell: Semaphore | null,
  ) {
    this.registry = new Registry(types, () => this.shutdown());
    this.#done = new Promise((r) => (this.#finish = r));
    const self: Peer = { who: NOBODY, family: true, refs: new Map(), calls: new Map(), reply: () => {} };
    (globalThis as Record<symbol, unknown>)[Symbol.for('mpts.manager.repr.' + ref.id)] = (ident: number) => this.registry.reprOf(ident);
    setLink(ref.id, new SelfLink(ref, (frame) => {
      const r = decodeRequest(frame);
      const out = this.answer(self, r);
      return out === null ? null : Promise.resolve(out).then((a) => this.frame(a, r.seq));
    }));
  }

  get address(): Address | null {
    return this.#listener?.address ?? null;
  }
  get stopped(): boolean {
    return this.#stopped;
  }

  async listen(address: Address | null | undefined, authkey: NodeBuffer | string | null): Promise<Address> {
    this.#listener = await Listener({ address: address ?? undefined, authkey, maxMessageSize: MAX_REQUEST, backlog: 64 });
    this.ref.address = this.#listener.address;
    void this.acceptLoop(this.#listener);
    return this.#listener.address;
  }

  addPipe(conn: Connection, ring: Ring, down: Ring, owner = false): void {
    const p: PipePeer = { who: NOBODY, family: true, refs: new Map(), calls: new Map(), conn, ring, down, reply: (a, seq) => {
      const s = this.#scratch;
      const n = encodeReply(s, a.status, seq, a.value); // (first: it may grow s.buf)
      const frame = s.buf.subarray(0, n);
      // Replies are matched by number, so one that fits now goes at once, ahead of any waiting for room.
      if (down.tryWrite(frame)) return;
      this.#waiting++;
      void conn.sendBytes(Buffer.from(frame)).catch(() => {}).finally(() => this.#waiting--);
    } };
    this.#pipes.add(p);
    if (owner) this.#owner = p;
  }

  /** Serves until shutdown(). */
  async serveForever(): Promise<void> {
    if (this.bell) void this.pipeLoop();
    await this.#done;
  }

  private answer(peer: Peer, r: Request): Reply | Promise<Reply> | null {
    if (r.op === Op.INFO) return { status: Status.OK, value: { objects: this.registry.size, clients: this.#pipes.size + this.#sockets.size, ref: this.ref } };
    let out: Reply | Promise<Reply> | null;
    try {
      out = this.registry.handle(peer, r);
    } catch (e) {
      return { status: Status.ERROR, value: e };
    }
    if (out instanceof Promise) return out.catch((e: unknown) => ({ status: Status.ERROR, value: e }));
    return out;
  }
  /** A reply as a frame of its own (for a socket or the server's own line). */
  private frame(a: Reply, seq: number): Buffer {
    const n = encodeReply(this.#scratch, a.status, seq, a.value); // (first: it may grow the buffer)
    return Buffer.from(this.#scratch.buf.subarray(0, n));
  }
  private respond(peer: Peer, r: Request): void {
    const out = this.answer(peer, r);
    if (out === null) return;
    if (out instanceof Promise) {
      this.#waiting++;
      void out.then((a) => peer.reply(a, r.seq)).finally(() => this.#waiting--);
    } else peer.reply(out, r.seq);
  }

  /** Reads what one pipe has now; false if nothing. */
  private drain(p: PipePeer): boolean {
    let any = false;
    for (let n = 0; n < 256; n++) {
      let r: Request | typeof NONE | null;
      try {
        r = p.conn.tryRecv(NONE, takeRequest);
        // A request too large to go in whole streams through the ring while its client writes
        // it (blocked until it is read): read it whole now.
        if (r === NONE && p.conn.hasData()) r = takeRequest({ tag: 0, payload: p.conn.recvBytesSync() });
      } catch (e) {
        if (!(e instanceof EOFError)) logger.warn(`manager: ${(e as Error).message}`);
        this.dropPipe(p);
        return any;
      }
      if (r === NONE) return any;
      any = true;
      if (r) this.respond(p, r);
    }
    return any;
  }

  private dropPipe(p: PipePeer): void {
    if (!this.#pipes.delete(p)) return;
    this.registry.drop(p);
    p.conn.close();
    if (p === this.#owner) this.shutdown();
  }

  private async pipeLoop(): Promise<void> {
    const bell = this.bell!;
    const turn = () => new Promise((r) => setImmediate(r));
    let lastCheck = performance.now(), lastTurn = lastCheck;
    while (!this.#stopped) {
      this.takeInbox();
      let busy = false;
      for (const p of this.#pipes) if (this.drain(p)) busy = true;
      let now = performance.now();
      if (now - lastCheck > CHECK_MS) {
        lastCheck = now;
        for (const p of this.#pipes) if (p.ring.ends.gone('write') && !p.conn.hasData()) this.dropPipe(p);
      }
      if (busy) {
        // Replies that waited on promises, socket clients and timers have their turn now and then.
        if (now - lastTurn > TURN_MS) {
          await turn();
          lastTurn = performance.now();
        }
        continue;
      }
      if (this.#sockets.size > 0 || this.#waiting > 0) {
        await bell.acquire({ timeout: CHECK_MS });
        lastTurn = performance.now();
      } else if (!this.watch(bell) && (!bell.acquireSync({ timeout: SLICE_MS }) || (now = performance.now()) - lastTurn > TURN_MS)) {
        await turn();
        lastTurn = performance.now();
      }
      while (bell.tryAcquire());
    }
  }

  /** Watches the bell for a while before sleeping on it: true if it rang meanwhile. */
  private watch(bell: Semaphore): boolean {
    const until = performance.now() + SPIN_MS;
    while (performance.now() < until) if (bell.getValue() > 0) return true;
    return false;
  }

  private takeInbox(): void {
    if (!this.inbox || this.inbox.empty()) return;
    for (;;) {
      let got: unknown;
      try {
        got = this.inbox.getNowait();
      } catch {
        return;
      }
      const [conn, ring, down] = got as [Connection, Ring, Ring];
      this.addPipe(conn, ring, down);
    }
  }

  private async acceptLoop(l: SocketListener): Promise<void> {
    while (!this.#stopped && !l.closed) {
      let c: SocketConnection;
      try {
        c = await l.accept();
      } catch (e) {
        if (l.closed || this.#stopped) return;
        logger.info(`manager: a client was refused (${(e as Error).message})`);
        continue;
      }
      void this.serveSocket(c);
    }
  }

  private async serveSocket(c: SocketConnection): Promise<void> {
    this.#sockets.add(c);
    const peer: Peer = { who: -(++this.#remoteIds), family: false, refs: new Map(), calls: new Map(), reply: (a, seq) => void c.sendBytes(this.frame(a, seq)).catch(() => {}) };
    try {
      while (!this.#stopped) {
        const buf = await c.recvBytes();
        let r: Request;
        try {
          r = decodeRequest(buf);
        } catch (e) {
          logger.info(`manager: a remote client sent a malformed request and was dropped (${(e as Error).message})`);
          break;
        }
        if (r.op === Op.HELLO) continue; // a remote client's thread id means nothing here
        this.respond(peer, r);
      }
    } catch {
      // the client went (EOF, reset, a frame over the limit)
    } finally {
      this.#sockets.delete(c);
      this.registry.drop(peer);
      c.destroy();
    }
  }

  /** Stops serving: every client's next call (and any waiting) rejects. */
  shutdown(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.registry.shutdownAll();
    this.#listener?.close();
    for (const c of this.#sockets) c.destroy();
    for (const p of [...this.#pipes]) {
      this.#pipes.delete(p);
      this.registry.drop(p);
      p.conn.close();
    }
    this.bell?.release();
    this.#finish();
  }
}
