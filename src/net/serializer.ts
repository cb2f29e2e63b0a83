// Which serializer a socket connection's send/recv use: this package's codec (the default;
// Node peers only), or pickle for plain data exchanged with Python programs.
import type { Serializer } from './options.js';
import type { SocketConnection } from './socket-connection.js';
import { pickleDecode, pickleEncode } from './pickle.js';

export function applySerializer(conn: SocketConnection, serializer: Serializer): void {
  if (serializer === 'pickle') conn.useCodec(pickleEncode, pickleDecode);
}
