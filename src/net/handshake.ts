// The authkey handshake of CPython's multiprocessing.connection, both generations, so that a
// Python Listener or Client of 3.11 or 3.12+ authenticates with ours and the other way round.
//   challenge: b'#CHALLENGE#' + message. 3.11 sends 20 random bytes and expects a raw 16-byte
//   HMAC-MD5 of them; 3.12+ sends b'{sha256}' + 40 random bytes and expects b'{digest}' + the
//   HMAC of the whole message (prefix included, so no downgrade), a legacy peer being known by
//   the length alone (a 20-byte challenge, a 16-byte reply).
//   verdict: b'#WELCOME#' or b'#FAILURE#'.
// The accepting side challenges first, then answers the connecting side's challenge. We
// always challenge in the 3.12+ form and accept a 16-byte HMAC-MD5 reply (how a 3.12 server
// takes a 3.11 client). The steps strictly alternate, as CPython's: sending our challenge
// before the verdict arrived would make a CPython server (no TCP_NODELAY) write its verdict
// and its reply back to back, and Nagle would hold the second for a delayed ACK (~40 ms).
// Digests are compared in constant time; every
// handshake frame is capped at 256 bytes (as CPython's recv_bytes(256)); an empty authkey is a
// key like any other.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../errors.js';

const CHALLENGE = Buffer.from('#CHALLENGE#');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
const MESSAGE_LENGTH = 40;
const MD5ONLY_MESSAGE_LENGTH = 20;
const MD5_DIGEST_LEN = 16;
/** CPython's _ALLOWED_DIGESTS, with node:crypto's names. */
const DIGESTS: Record<string, string> = { md5: 'md5', sha256: 'sha256', sha384: 'sha384', sha3_256: 'sha3-256', sha3_384: 'sha3-384' };
const MAX_DIGEST_NAME = Math.max(...Object.keys(DIGESTS).map((d) => d.length));

/** @internal How the handshake reads and writes frames (the socket connection, before it is handed out). */
export interface FrameChannel {
  /** The next frame (at most 256 bytes); rejects on EOF, an oversized frame or the deadline. */
  readHandshakeFrame(): Promise<Buffer>;
  writeFrame(payload: Uint8Array): void;
}

/** @internal What an authkey option may be: bytes, or a string taken as UTF-8. */
export function authkeyBytes(key: unknown, what: string): Buffer | null {
  if (key === undefined || key === null) return null;
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return Buffer.from(key);
  throw new TypeError(`${what}: authkey must be a Buffer, a Uint8Array or a string, got ${typeof key}`);
}

/** Splits a challenge message or a reply into (digest name, MAC payload); '' = legacy MD5. */
function digestAndPayload(message: Buffer): [string, Buffer] {
  if (message.length === MD5ONLY_MESSAGE_LENGTH || message.length === MD5_DIGEST_LEN) return ['', message];
  if (message[0] === 0x7b /* { */) {
    const curly = message.indexOf(0x7d /* } */, 1);
    if (curly > 0 && curly <= MAX_DIGEST_NAME + 1) {
      const name = message.subarray(1, curly).toString('latin1');
      if (Object.hasOwn(DIGESTS, name)) return [name, message.subarray(curly + 1)];
    }
  }
  throw new AuthenticationError(`unsupported message length (${message.length} bytes), missing digest prefix, or unsupported digest`);
}

function hmac(key: Buffer, message: Buffer, digest: string): Buffer {
  return createHmac(DIGESTS[digest], key).update(message).digest();
}

/** Our reply to a challenge message (the bytes after #CHALLENGE#). */
function response(key: Buffer, message: Buffer): Buffer {
  const [name] = digestAndPayload(message);
  if (!name) return hmac(key, message, 'md5');
  return Buffer.concat([Buffer.from(`{${name}}`, 'latin1'), hmac(key, message, name)]);
}

function verify(key: Buffer, message: Buffer, reply: Buffer): void {
  const [name, mac] = digestAndPayload(reply);
  const expected = hmac(key, message, name || 'md5');
  if (expected.length !== mac.length) throw new AuthenticationError(`expected a ${name || 'md5'} digest of ${expected.length} bytes, got ${mac.length}`);
  if (!timingSafeEqual(expected, mac)) throw new AuthenticationError('digest received was wrong');
}

function newChallenge(): Buffer {
  return Buffer.concat([Buffer.from('{sha256}'), randomBytes(MESSAGE_LENGTH)]);
}

async function readChallenge(ch: FrameChannel): Promise<Buffer> {
  const m = await ch.readHandshakeFrame();
  if (m.length < CHALLENGE.length || !m.subarray(0, CHALLENGE.length).equals(CHALLENGE)) throw new AuthenticationError('protocol error: expected an authentication challenge (does the other side use an authkey?)');
  const message = m.subarray(CHALLENGE.length);
  if (message.length < MD5ONLY_MESSAGE_LENGTH) throw new AuthenticationError(`challenge too short: ${message.length} bytes`);
  return message;
}

async function expectWelcome(ch: FrameChannel): Promise<void> {
  const verdict = await ch.readHandshakeFrame();
  if (!verdict.equals(WELCOME)) throw new AuthenticationError('digest sent was rejected (wrong authkey?)');
}

async function judge(ch: FrameChannel, key: Buffer, message: Buffer): Promise<void> {
  const reply = await ch.readHandshakeFrame();
  try {
    verify(key, message, reply);
  } catch (e) {
    ch.writeFrame(FAILURE);
    throw e;
  }
  ch.writeFrame(WELCOME);
}

/** @internal The accepting side: deliver_challenge, then answer_challenge. */
export async function serverHandshake(ch: FrameChannel, key: Buffer): Promise<void> {
  const message = newChallenge();
  ch.writeFrame(Buffer.concat([CHALLENGE, message]));
  await judge(ch, key, message);
  const theirs = await readChallenge(ch);
  ch.writeFrame(response(key, theirs));
  await expectWelcome(ch);
}

/** @internal The connecting side: answer_challenge, then deliver_challenge. */
export async function clientHandshake(ch: FrameChannel, key: Buffer): Promise<void> {
  const theirs = await readChallenge(ch);
  ch.writeFrame(response(key, theirs));
  await expectWelcome(ch);
  const message = newChallenge();
  ch.writeFrame(Buffer.concat([CHALLENGE, message]));
  await judge(ch, key, message);
}
