// The manager's server: the registry (registry.ts) behind two doors. Family members each have
// a shared-memory pipe; the server drains whichever have requests, watches them for a moment
// when they fall quiet (a reply then costs no system call on either side), and otherwise sleeps
// on its bell, a Semaphore every client rings after writing. A socket Listener (CPython's
// multiprocessing.connection: authenticated before anything else, frames size-limited) serves
// everyone else. Every few hundred milliseconds the server looks for family clients that died
// (their pipe's writer is gone) and gives back what they held. A malformed request drops its
// peer; the server keeps serving the others.
import { Connection } from '../connection/connection.js';
import type { Ring } from '../connection/ring.js';
import { rawBytes } from '../connection/message.js';
import { EOFError } from '../errors.js';
import { Listener, type SocketListener } from '../net/listener.js';
import type { Address } from '../net/options.js';
import type { SocketConnection } from '../net/socket-connection.js';
import type { Queue } from '../queues/queue.js';
import type { Semaphore } from '../sync/semaphore.js';
import { logger } from '../util/logger.js';
import { SelfLink, setLink, type ServerRef } from './link.js';
import { decodeRequest, encodeReply, Op, Status, type Request } from './protocol.js';
import { Registry, type Peer, type Reply } from './registry.js';
import type { TypeInfo } from './types.js';
import type { NodeBuffer } from '../util/node-types.js';

const SPIN_MS = 0.25;
const CHECK_MS = 200;
/** Longest request a socket client may send (the Listener refuses longer frames unread). */
export const MAX_REQUEST = 64 << 20;

interface PipePeer extends Peer {
  conn: Connection;
  ring: Ring;
}
const NONE = Symbol('none');
const NOBODY = -0x7fffffff;

export class ManagerServer {
  readonly registry: Registry;
  readonly #pipes = new Set<PipePeer>();
  readonly #sockets = new Set<SocketConnection>();
  #listener: SocketListener | null = null;
  #stopped = false;
  #remoteIds = 0;
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
      return out === null ? null : Promise.resolve(out).then((a) => encodeReply(a.status, r.seq, a.value));
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

  addPipe(conn: Connection, ring: Ring, owner = false): void {
    const p: PipePeer = { who: NOBODY, family: true, refs: new Map(), calls: new Map(), conn, ring, reply: (f) => {
      // Replies are matched by number, so one that fits now goes at once, ahead of any waiting for room.
      if (!conn.trySendMessage(rawBytes(f))) void conn.sendBytes(f).catch(() => {});
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
  private respond(peer: Peer, r: Request): void {
    const out = this.answer(peer, r);
    if (out === null) return;
    if (out instanceof Promise) void out.then((a) => peer.reply(encodeReply(a.status, r.seq, a.value)));
    else peer.reply(encodeReply(out.status, r.seq, out.value));
  }

  /** Reads what one pipe has now; false if nothing. */
  private drain(p: PipePeer): boolean {
    let any = false;
    for (let n = 0; n < 256; n++) {
      let r: Request | typeof NONE | null;
      try {
        r = p.conn.tryRecv(NONE, (m) => {
          try {
            return decodeRequest(m.payload);
          } catch (e) {
            logger.warn(`manager: a malformed request from a family client was dropped (${(e as Error).message})`);
            return null;
          }
        });
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
    let lastCheck = performance.now(), turns = 0;
    while (!this.#stopped) {
      this.takeInbox();
      let busy = false;
      for (const p of this.#pipes) if (this.drain(p)) busy = true;
      if (busy) {
        // Let replies that waited on promises, and socket clients, have their turn now and then.
        await (++turns % 64 === 0 ? new Promise((r) => setImmediate(r)) : null);
        continue;
      }
      const until = performance.now() + SPIN_MS;
      let ready = false;
      while (!ready && performance.now() < until) for (const p of this.#pipes) if (p.conn.hasData()) ready = true;
      if (ready) continue;
      const now = performance.now();
      if (now - lastCheck > CHECK_MS) {
        lastCheck = now;
        for (const p of this.#pipes) if (p.ring.ends.gone('write') && !p.conn.hasData()) this.dropPipe(p);
        continue;
      }
      await bell.acquire({ timeout: CHECK_MS });
      while (bell.tryAcquire());
    }
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
      const [conn, ring] = got as [Connection, Ring];
      this.addPipe(conn, ring);
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
    const peer: Peer = { who: -(++this.#remoteIds), family: false, refs: new Map(), calls: new Map(), reply: (f) => void c.sendBytes(f).catch(() => {}) };
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
