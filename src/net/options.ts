// The options of Listener, Client and their connections' waits, checked at the call that
// takes them (a misspelt option is an error naming it, not silently ignored), and addresses:
// Python's forms (a [host, port] pair for TCP, a path for a Unix socket, '\0name' for Linux's
// abstract namespace) resolved as CPython does (a pair is AF_INET: 'localhost' is 127.0.0.1).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:buffer';
import { ValueError } from '../errors.js';
import { checkOptions as checkNames, checkSignal, describe, timeoutMs } from '../util/options.js';

export type Family = 'AF_INET' | 'AF_INET6' | 'AF_UNIX';
/** `['host', port]` (TCP) or a Unix socket path ('\0name': the abstract namespace). */
export type Address = string | readonly [host: string, port: number];
export type Authkey = Uint8Array | string;

export interface WaitOptions {
  /** Aborting rejects the wait with the signal's reason and takes nothing. */
  signal?: AbortSignal;
}
interface CommonOptions {
  family?: Family;
  /** Both sides run CPython's HMAC challenge-response before anything else; '' is a key too. */
  authkey?: Authkey | null;
  /** Longest message accepted after the handshake, in bytes (default 1 GiB). */
  maxMessageSize?: number;
  /** Milliseconds for a peer to finish the handshake (Listener: 5000; Client: 20000; null: no limit). */
  handshakeTimeout?: number | null;
}
export interface ListenerOptions extends CommonOptions {
  address?: Address;
  backlog?: number;
}
export interface ClientOptions extends CommonOptions, WaitOptions {}

export const DEFAULT_MAX_MESSAGE = 2 ** 30;
export const LISTENER_HANDSHAKE_MS = 5000;
/** CPython's CONNECTION_TIMEOUT (20 s): a Python Listener only handshakes when its program calls accept(). */
export const CLIENT_HANDSHAKE_MS = 20_000;

const common = ['family', 'authkey', 'maxMessageSize', 'handshakeTimeout'];
const known = { listener: ['address', 'backlog', ...common], client: ['signal', ...common] };

/** A Listener's or a Client's options, checked by the package's one checker (names the one meant). */
export function checkOptions<T extends object>(o: unknown, kind: 'listener' | 'client', what: string): T {
  return (checkNames(o as T | undefined, known[kind], what) ?? {}) as T;
}

/** `{ signal }` of a socket wait (accept, recv...): the signal, checked. */
export function checkWaitOptions(o: WaitOptions | undefined, what: string): AbortSignal | undefined {
  return checkSignal(checkNames(o, ['signal'], what)?.signal, what) ?? undefined;
}

export function maxMessageSizeOf(v: unknown, what: string): number {
  if (v === undefined) return DEFAULT_MAX_MESSAGE;
  if (v === Infinity) return constants.MAX_LENGTH;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValueError(`${what}: maxMessageSize must be a non-negative integer number of bytes, got ${describe(v)}`);
  return Math.min(v, constants.MAX_LENGTH);
}

export function handshakeMsOf(v: unknown, fallback: number, what: string): number {
  return v === undefined ? fallback : timeoutMs(v, `${what}: handshakeTimeout`);
}

/** Python's address_type, and a check that an explicit family agrees with the address. */
export function familyOf(address: unknown, family: unknown, what: string): Family {
  let inferred: Family;
  if (Array.isArray(address)) {
    if (address.length !== 2 || typeof address[0] !== 'string' || !Number.isInteger(address[1]) || address[1] < 0 || address[1] > 65535) {
      throw new ValueError(`${what}: a TCP address is ['host', port] with a port from 0 to 65535, got ${JSON.stringify(address)}`);
    }
    inferred = isIP(address[0]) === 6 ? 'AF_INET6' : 'AF_INET';
  } else if (typeof address === 'string') {
    if (address.length === 0) throw new ValueError(`${what}: an empty Unix socket path`);
    inferred = 'AF_UNIX';
  } else throw new ValueError(`${what}: address type of ${describe(address)} unrecognized (expected ['host', port] or a Unix socket path)`);
  if (family === undefined || family === null) return inferred;
  if (family !== 'AF_INET' && family !== 'AF_INET6' && family !== 'AF_UNIX') throw new ValueError(`${what}: family must be 'AF_INET', 'AF_INET6' or 'AF_UNIX', got ${describe(family)}`);
  if ((family === 'AF_UNIX') !== (inferred === 'AF_UNIX')) throw new ValueError(`${what}: family ${family} does not fit the address ${JSON.stringify(address)}`);
  return family;
}

export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Where to bind or connect: a host name looked up in the family's address space. */
export async function endpointOf(address: Address, family: Family): Promise<Endpoint> {
  if (typeof address === 'string') return { kind: 'unix', path: address };
  let host = address[0];
  if (host === '') host = family === 'AF_INET6' ? '::' : '0.0.0.0';
  else if (!isIP(host)) host = (await lookup(host, { family: family === 'AF_INET6' ? 6 : 4 })).address;
  return { kind: 'tcp', host, port: address[1] };
}

export function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host.startsWith('::ffff:127.');
}

/** A fresh Unix socket path in a directory of its own (Python's arbitrary_address). */
export function freshUnixPath(): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mpts-'));
  return { dir, path: join(dir, `listener-${randomBytes(6).toString('hex')}`) };
}
