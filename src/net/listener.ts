// mp.Listener: CPython's multiprocessing.connection.Listener over TCP, a Unix socket path or a
// Linux abstract name. It owns the listening socket and the connections not yet accepted.
// Unlike CPython, which runs a peer's handshake inside accept() (so one silent peer blocks
// every other), each incoming connection is authenticated on its own as soon as it arrives,
// with a deadline (handshakeTimeout): accept() hands out the next connection that passed, or
// raises AuthenticationError for one that failed (as Python's accept() does); a peer that timed
// out or vanished mid-handshake is dropped quietly. Connections waiting to be accepted are
// bounded (backpressure on the peers: beyond the bound new ones are refused), and so are
// handshakes in progress.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync, rmdirSync } from 'node:fs';
import { SEND } from '../codec/codec.js';
import { AuthenticationError } from '../errors.js';
import { logger } from '../util/logger.js';
import { describe } from '../util/options.js';
import { authkeyBytes, serverHandshake } from './handshake.js';
import {
  checkOptions, checkWaitOptions, endpointOf, familyOf, freshUnixPath, handshakeMsOf, isLoopback, LISTENER_HANDSHAKE_MS,
  maxMessageSizeOf, type Address, type ListenerOptions, type WaitOptions,
} from './options.js';
import { SocketConnection } from './socket-connection.js';

/** Handshakes in progress at once; connections beyond it are refused at once. */
const MAX_HANDSHAKING = 1024;

type Arrival = { conn: SocketConnection; peer: Address } | { error: Error; peer: Address };
interface Acceptor {
  resolve(c: SocketConnection): void;
  reject(e: Error): void;
}

// Socket files of Listeners still open when the process exits are removed, as Python's
// Finalize does (an abstract name needs nothing).
const openPaths = new Set<{ path: string; dir: string | null }>();
process.on('exit', () => {
  for (const u of openPaths) removePath(u);
});
function removePath(u: { path: string; dir: string | null }): void {
  openPaths.delete(u);
  rmSync(u.path, { force: true });
  if (u.dir) {
    try {
      rmdirSync(u.dir);
    } catch {
      // someone put something else there: leave it
    }
  }
}

function closedError(): Error {
  return Object.assign(new Error('accept: the listener is closed'), { code: 'EBADF' });
}

export class SocketListener {
  #server: Server;
  #address: Address;
  #lastAccepted: Address | null = null;
  #arrivals: Arrival[] = [];
  #acceptors: Acceptor[] = [];
  #handshaking = new Set<SocketConnection>();
  #closed = false;
  #unlink: { path: string; dir: string | null } | null;
  #key: Buffer | null;
  #max: number;
  #handshakeMs: number;
  #queueLimit: number;

  /** @internal Use `await mp.Listener(...)`. */
  constructor(server: Server, address: Address, unlink: { path: string; dir: string | null } | null, key: Buffer | null, max: number, handshakeMs: number, backlog: number) {
    this.#server = server;
    this.#address = address;
    this.#unlink = unlink;
    if (unlink) openPaths.add(unlink);
    this.#key = key;
    this.#max = max;
    this.#handshakeMs = handshakeMs;
    this.#queueLimit = Math.max(backlog, 128);
    server.on('connection', (s: Socket) => this.#incoming(s));
    server.unref();
  }

  /** The bound address: ['ip', port] (the port actually bound when 0 was asked), or the socket path. */
  get address(): Address {
    return this.#address;
  }
  /** The peer of the last connection accept() returned: ['ip', port], or '' for a Unix socket (as Python). */
  get lastAccepted(): Address | null {
    return this.#lastAccepted;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** The next authenticated connection; AuthenticationError for a peer whose handshake failed. */
  accept(options?: WaitOptions): Promise<SocketConnection> {
    let signal: AbortSignal | undefined;
    try {
      signal = checkWaitOptions(options, 'accept');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#closed) return Promise.reject(closedError());
    const next = this.#arrivals.shift();
    if (next) return this.#handOut(next);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<SocketConnection>((resolve, reject) => {
      const onAbort = () => settle(() => reject(signal!.reason));
      const settle = (fn: () => void) => {
        const i = this.#acceptors.indexOf(acceptor);
        if (i >= 0) this.#acceptors.splice(i, 1);
        if (this.#acceptors.length === 0) this.#server.unref();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const acceptor: Acceptor = { resolve: (c) => settle(() => resolve(c)), reject: (e) => settle(() => reject(e)) };
      this.#acceptors.push(acceptor);
      this.#server.ref();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #handOut(a: Arrival): Promise<SocketConnection> {
    this.#lastAccepted = a.peer;
    return 'conn' in a ? Promise.resolve(a.conn) : Promise.reject(a.error);
  }

  #arrived(a: Arrival): void {
    const acceptor = this.#acceptors[0];
    if (acceptor) {
      this.#lastAccepted = a.peer;
      if ('conn' in a) acceptor.resolve(a.conn);
      else acceptor.reject(a.error);
    } else this.#arrivals.push(a);
  }

  #incoming(socket: Socket): void {
    if (this.#closed || this.#arrivals.length >= this.#queueLimit || this.#handshaking.size >= MAX_HANDSHAKING) {
      logger.debug(`Listener ${describeAddress(this.#address)}: refused a connection (${this.#closed ? 'closed' : 'too many waiting'})`);
      socket.destroy();
      return;
    }
    const peer: Address = socket.remoteAddress !== undefined ? [socket.remoteAddress, socket.remotePort ?? 0] : '';
    const conn = new SocketConnection(socket, this.#max);
    const key = this.#key;
    if (key === null) {
      conn.skipHandshake();
      this.#arrived({ conn, peer });
      return;
    }
    this.#handshaking.add(conn);
    conn.authenticate((ch) => serverHandshake(ch, key), this.#handshakeMs).then(
      () => {
        this.#handshaking.delete(conn);
        if (this.#closed) conn.destroy();
        else this.#arrived({ conn, peer });
      },
      (e: Error) => {
        this.#handshaking.delete(conn);
        conn.destroy();
        if (e instanceof AuthenticationError && !this.#closed) this.#arrived({ error: e, peer });
        else logger.debug(`Listener ${describeAddress(this.#address)}: dropped a peer during the handshake: ${e.message}`);
      },
    );
  }

  /** Stops listening; accept() calls waiting and to come fail; connections not accepted are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const a of this.#acceptors.splice(0)) a.reject(closedError());
    for (const a of this.#arrivals.splice(0)) if ('conn' in a) a.conn.destroy();
    for (const c of this.#handshaking) c.destroy();
    this.#handshaking.clear();
    const u = this.#unlink;
    this.#unlink = null;
    if (u) removePath(u);
  }
  [Symbol.dispose](): void {
    this.close();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  [SEND](): never {
    throw new TypeError('a Listener cannot be sent to another process: send its address (and authkey), and open a Listener or a Client there');
  }

  toString(): string {
    return `<Listener ${describeAddress(this.#address)}${this.#closed ? ' closed' : ''}>`;
  }
}

function describeAddress(a: Address): string {
  return typeof a === 'string' ? JSON.stringify(a) : `${a[0]}:${a[1]}`;
}

/**
 * `await mp.Listener({ address?, family?, backlog?, authkey?, maxMessageSize?, handshakeTimeout? })`
 * (or `mp.Listener(address, options)`): a bound, listening socket. Without an address, a fresh
 * Unix socket path, as in Python.
 */
export async function Listener(options?: ListenerOptions | Address, more?: ListenerOptions): Promise<SocketListener> {
  const o: ListenerOptions = typeof options === 'string' || Array.isArray(options)
    ? { ...checkOptions<ListenerOptions>(more, 'listener', 'Listener'), address: options as Address }
    : checkOptions<ListenerOptions>(options, 'listener', 'Listener');
  const backlog = o.backlog ?? 1;
  if (!Number.isInteger(backlog) || backlog < 0) throw new TypeError(`Listener: backlog must be a non-negative integer, got ${describe(backlog)}`);
  const key = authkeyBytes(o.authkey, 'Listener');
  const max = maxMessageSizeOf(o.maxMessageSize, 'Listener');
  const ms = handshakeMsOf(o.handshakeTimeout, LISTENER_HANDSHAKE_MS, 'Listener');
  let address = o.address;
  let fresh: { path: string; dir: string } | null = null;
  if (address === undefined || address === null) {
    if (o.family === 'AF_INET' || o.family === 'AF_INET6') address = [o.family === 'AF_INET6' ? '::1' : '127.0.0.1', 0];
    else {
      fresh = freshUnixPath();
      address = fresh.path;
    }
  }
  const family = familyOf(address, o.family, 'Listener');
  const at = await endpointOf(address, family);
  const server = createServer({ noDelay: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listen = at.kind === 'tcp' ? { host: at.host, port: at.port } : { path: at.path };
      server.listen({ ...listen, backlog: Math.max(backlog, 128), exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    if (fresh) rmdirSync(fresh.dir);
    throw e;
  }
  server.on('error', (e) => logger.warning(`Listener: ${e.message}`));
  let bound: Address;
  if (at.kind === 'tcp') {
    const a = server.address() as { address: string; port: number };
    bound = [a.address, a.port];
    if (key === null && !isLoopback(a.address)) {
      process.emitWarning(`Listener on ${a.address}:${a.port} without an authkey: anyone who can reach this address can connect and send messages`, 'SecurityWarning');
    }
  } else bound = at.path;
  const unlink = at.kind === 'unix' && !at.path.startsWith('\0') ? { path: at.path, dir: fresh?.dir ?? null } : null;
  return new SocketListener(server, bound, unlink, key, max, ms, backlog);
}
export type Listener = SocketListener;
