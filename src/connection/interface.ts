// The one Connection interface: what a Pipe's Connection (over a ring in shared memory) and a
// SocketConnection (over a socket, CPython's framing) both offer, for code that takes either (a
// server loop that serves local pipes and remote clients alike). Transports differ below it;
// the messages (message.ts, or the socket's wire codec) and these methods do not. Both classes
// declare `implements ConnectionLike`, so neither can drift from it.
import type { NodeBuffer } from '../util/node-types.js';

/** Options of a receiving call. */
export interface RecvOptions {
  /** Aborting rejects the call with the signal's reason; no message is taken. */
  signal?: AbortSignal | null;
}

export interface ConnectionLike {
  readonly closed: boolean;
  readonly readable: boolean;
  readonly writable: boolean;
  send(obj: unknown): Promise<void>;
  recv(options?: RecvOptions): Promise<unknown>;
  sendBytes(buf: Uint8Array, offset?: number, size?: number): Promise<void>;
  recvBytes(maxlength?: number, options?: RecvOptions): Promise<NodeBuffer>;
  recvBytesInto(buf: Uint8Array, offset?: number, options?: RecvOptions): Promise<number>;
  poll(timeout?: number | null): Promise<boolean>;
  close(): void;
}
