// ConnectionLike: what a Pipe's Connection and a SocketConnection have in common, for code
// that takes either (a server loop that serves local pipes and remote clients alike).
export interface ConnectionLike {
  readonly closed: boolean;
  readonly readable: boolean;
  readonly writable: boolean;
  send(obj: unknown): Promise<void>;
  recv(): Promise<unknown>;
  sendBytes(buf: Uint8Array, offset?: number, size?: number): Promise<void>;
  recvBytes(maxlength?: number): Promise<NodeBuffer>;
  recvBytesInto(buf: Uint8Array, offset?: number): Promise<number>;
  poll(timeout?: number | null): Promise<boolean>;
  close(): void;
}

// Both kinds must keep fitting (a compile error here means one drifted).
import type { Connection } from '../connection/connection.js';
import type { SocketConnection } from './socket-connection.js';
import type { NodeBuffer } from '../util/node-types.js';
type Fits<T extends ConnectionLike> = T;
export type { Fits as _Fits };
type _Pipe = Fits<Connection>;
type _Socket = Fits<SocketConnection>;
export type { _Pipe, _Socket };
