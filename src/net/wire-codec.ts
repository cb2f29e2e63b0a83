// What `send`/`recv` put in a socket frame: this package's codec (src/codec/codec.ts), minus
// one thing. Within a family, the codec carries Locks, Queues, Connections... as handles into
// the family's shared arena; over a socket the peer may be any process (another family, a
// stranger that knows the authkey, or no authkey at all), and reviving a handle it made up
// would point this process at arbitrary arena offsets. So handles are refused both ways: at
// send (clear error, as Python refuses to pickle a Lock outside inheritance) and at receive
// (before the codec revives anything). Errors and registered classes still travel.
import * as v8 from 'node:v8';
import { decode, encode } from '../codec/codec.js';
import { SendError } from '../errors.js';

// The codec's tag for "structured clone after a walk that left markers", and the marker key:
// private to codec.ts, mirrored here (test/net.test.mjs, "shared objects are refused", fails if
// they drift apart).
const MARKED = 3;
const MARK = '\u0000mpts';


/** The path of the first handle marker in a decoded-but-not-revived value, or null. */
function findHandle(v: unknown, path: string, seen: Set<object>): string | null {
  if (v === null || typeof v !== 'object') return null;
  if (seen.has(v)) return null;
  seen.add(v);
  const o = v as Record<string, unknown>;
  if (Object.hasOwn(o, MARK) && o[MARK] === 'h') return `${path} (${String(o.kind)})`;
  if (v instanceof Map) {
    for (const [k, x] of v) {
      const hit = findHandle(k, `${path} key`, seen) ?? findHandle(x, `${path}.get(...)`, seen);
      if (hit) return hit;
    }
    return null;
  }
  if (v instanceof Set) {
    for (const x of v) {
      const hit = findHandle(x, `${path} item`, seen);
      if (hit) return hit;
    }
    return null;
  }
  if (ArrayBuffer.isView(v)) return null;
  for (const k of Object.keys(o)) {
    const hit = findHandle(o[k], Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, seen);
    if (hit) return hit;
  }
  return null;
}

function handleIn(buf: Uint8Array, path: string): string | null {
  if (buf[0] !== MARKED) return null;
  const des = new v8.Deserializer(buf.subarray(1));
  des.readHeader();
  return findHandle(des.readValue(), path, new Set());
}

/** encode(), refusing this package's shared objects. */
export function encodeForSocket(value: unknown, what: string): Buffer {
  const buf = encode(value, 'obj');
  const hit = handleIn(buf, 'obj');
  if (hit) throw new SendError(`${what}: ${hit} is one of this package's shared objects, which travel only to members of their own family (through a Pipe, a Queue or Process args), not over a socket`);
  return buf;
}

/** decode() of a frame from a peer, refusing handles before anything is revived. */
export function decodeFromSocket(buf: Buffer): unknown {
  if (buf.length === 0) throw new TypeError('recv: received an empty message, which is not an object sent with send() (use recvBytes)');
  const hit = handleIn(buf, 'message');
  if (hit) throw new TypeError(`recv: the peer sent a handle to a shared object (${hit}); refused: handles are not accepted over a socket`);
  if (buf[0] === 0x80) throw new TypeError(`recv: the message is a Python pickle (protocol ${buf[1]}), not this package's codec: read it with recvBytes()`);
  return decode(buf);
}
