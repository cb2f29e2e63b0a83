// mp.Client: a connection to a Listener (ours or CPython's multiprocessing.connection) at a
// TCP address, a Unix socket path or a Linux abstract name, authenticated with the Listener's
// authkey when one is given. It owns only the connecting: the connect and the handshake share
// one deadline (handshakeTimeout, one timer) and an AbortSignal; a refused connect fails at once.
// The handshake starts on the connecting socket (its first step is a read: the Listener
// challenges first), so connecting costs no step of its own.
import { connect, type Socket } from 'node:net';
import { AuthenticationError, EOFError, TimeoutError } from '../errors.js';
import { clientHandshake, authkeyBytes } from './handshake.js';
import {
  checkOptions, CLIENT_HANDSHAKE_MS, endpointOf, familyOf, handshakeMsOf, maxMessageSizeOf,
  type Address, type ClientOptions,
} from './options.js';
import { deadlineOf, remaining } from '../util/options.js';
import { within } from '../util/promised.js';
import { SocketConnection } from './socket-connection.js';

/** `await mp.Client(address, { family?, authkey?, maxMessageSize?, handshakeTimeout?, signal? })`. */
export async function Client(address: Address, options?: ClientOptions): Promise<SocketConnection> {
  const o = checkOptions<ClientOptions>(options, 'client', 'Client');
  const family = familyOf(address, o.family, 'Client');
  const key = authkeyBytes(o.authkey, 'Client');
  const max = maxMessageSizeOf(o.maxMessageSize, 'Client');
  const deadline = deadlineOf(handshakeMsOf(o.handshakeTimeout, CLIENT_HANDSHAKE_MS, 'Client'));
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('Client: signal must be an AbortSignal');
  signal?.throwIfAborted();
  const at = await endpointOf(address, family);
  const socket = at.kind === 'tcp' ? connect({ host: at.host, port: at.port, noDelay: true }) : connect({ path: at.path });
  const conn = new SocketConnection(socket, max);
  const ms = remaining(deadline);
  try {
    if (key === null) {
      await within(connected(socket), ms, () => {
        throw new TimeoutError(`Client: could not connect within ${Math.round(ms)} ms`);
      }, signal);
      conn.skipHandshake();
    } else {
      await conn.authenticate((ch) => clientHandshake(ch, key), ms, signal);
    }
  } catch (e) {
    conn.destroy();
    if (signal?.aborted) throw signal.reason;
    if (e instanceof AuthenticationError || e instanceof TimeoutError || key === null) throw e;
    // A CPython Listener closes the socket right after #FAILURE#, which may reset ours first.
    const code = (e as { code?: string }).code;
    if (e instanceof EOFError || code === 'ECONNRESET' || code === 'EPIPE') {
      throw new AuthenticationError('the Listener closed the connection during the authentication handshake (wrong authkey, or does it expect none?)', { cause: e });
    }
    throw e;
  }
  return conn;
}

/** Resolves once the socket is connected; rejects with the connect's error (ECONNREFUSED...). */
function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
