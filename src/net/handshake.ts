// The authkey handshake of CPython's multiprocessing.connection, both generations, so that a
// Python Listener or Client of 3.11 or 3.12+ authenticates with ours and the other way round.
//   challenge: b'#CHALLENGE#' + message. 3.11 sends 20 random bytes and expects a raw 16-byte
//   HMAC-MD5 of them; 3.12+ sends b'{sha256}' + 40 random bytes and expects b'{digest}' + the
//   HMAC of the whole message (prefix included, so no downgrade), a legacy peer being known by
//   the length alone (a 20-byte challenge, a 16-byte reply).
//   verdict: b'#WELCOME#' or b'#FAILURE#'.
// The accepting side challenges first, then answers the connecting side's challenge. We
// always challenge in the 3.12+ form and accept a 16-byte HMAC-MD5 reply (how a 3.12 server
// takes a 3.11 client). With a CPython peer the steps strictly alternate, as CPython's own:
// sending our challenge before the verdict arrived would make a CPython server (no
// TCP_NODELAY) write its verdict and its reply back to back, and Nagle would hold the second
// for a delayed ACK (~40 ms). Our own Listener and Client save a round trip: our Listener's
// nonce is 48 random bytes where CPython's is 40 (any length is valid to every CPython: 3.11
// MACs whatever it gets, 3.12+ reads the digest from the prefix), and a Client that sees that
// length sends its challenge with its reply; the Listener then writes its verdict and its
// answer in one write. Nothing is skipped: both sides still verify the other's HMAC.
// Digests are compared in constant time; every handshake frame is capped at 256 bytes (as
// CPython's recv_bytes(256)); an empty authkey is a key like any other.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../errors.js';

const CHALLENGE = Buffer.from('#CHALLENGE#');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
const MESSAGE_LENGTH = 40;
/** The nonce length of our Listener's challenge: how our Client knows it may pipeline. */
const OUR_NONCE_LENGTH = 48;
const MD5ONLY_MESSAGE_LENGTH = 20;
const MD5_DIGEST_LEN = 16;
/** CPython's _ALLOWED_DIGESTS, with node:crypto's names. */
const DIGESTS: Record<string, string> = { md5: 'md5', sha256: 'sha256', sha384: 'sha384', sha3_256: 'sha3-256', sha3_384: 'sha3-384' };
const MAX_DIGEST_NAME = Math.max(...Object.keys(DIGESTS).map((d) => d.length));
const PREFIXES: Record<string, Buffer> = Object.fromEntries(Object.keys(DIGESTS).map((d) => [d, Buffer.from(`{${d}}`, 'latin1')]));

/** @internal How the handshake reads and writes frames (the socket connection, before it is handed out). */
export interface FrameChannel {
  /** The next frame (at most 256 bytes); rejects on EOF, an oversized frame or the deadline. */
  readHandshakeFrame(): Promise<Buffer>;
  /** The next frame if it has already arrived (a peer that sent two at once), else null. */
  receivedFrame(): Buffer | null;
  /** Writes the payloads as frames, in one write. */
  writeFrames(...payloads: Uint8Array[]): void;
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
  return Buffer.concat([PREFIXES[name], hmac(key, message, name)]);
}

function verify(key: Buffer, message: Buffer, reply: Buffer): void {
  const [name, mac] = digestAndPayload(reply);
  const expected = hmac(key, message, name || 'md5');
  if (expected.length !== mac.length) throw new AuthenticationError(`expected a ${name || 'md5'} digest of ${expected.length} bytes, got ${mac.length}`);
  if (!timingSafeEqual(expected, mac)) throw new AuthenticationError('digest received was wrong');
}

const SHA256_PREFIX = Buffer.from('{sha256}');
// Random bytes are drawn from the CSPRNG a few kilobytes at a time (each challenge takes 40
// fresh ones from the pool, none is used twice): one call per 100 handshakes instead of one each.
let pool = Buffer.alloc(0);
let poolAt = 0;
function freshRandom(n: number): Buffer {
  if (poolAt + n > pool.length) {
    pool = randomBytes(n * 100);
    poolAt = 0;
  }
  return pool.subarray(poolAt, (poolAt += n));
}

/** A challenge message (the bytes after #CHALLENGE#) in the 3.12+ form with `n` random bytes. */
function newChallenge(n: number): Buffer {
  return Buffer.concat([CHALLENGE, SHA256_PREFIX, freshRandom(n)]);
}

/** The message of a challenge frame; AuthenticationError for anything else. */
function challengeOf(m: Buffer): Buffer {
  if (m.length < CHALLENGE.length || !m.subarray(0, CHALLENGE.length).equals(CHALLENGE)) throw new AuthenticationError('protocol error: expected an authentication challenge (does the other side use an authkey?)');
  const message = m.subarray(CHALLENGE.length);
  if (message.length < MD5ONLY_MESSAGE_LENGTH) throw new AuthenticationError(`challenge too short: ${message.length} bytes`);
  return message;
}

async function expectWelcome(ch: FrameChannel): Promise<void> {
  const verdict = await ch.readHandshakeFrame();
  if (!verdict.equals(WELCOME)) throw new AuthenticationError('digest sent was rejected (wrong authkey?)');
}

/** Reads the reply to our challenge; on a wrong one, tells the peer #FAILURE# and throws. */
async function judge(ch: FrameChannel, key: Buffer, challenge: Buffer): Promise<void> {
  const reply = await ch.readHandshakeFrame();
  try {
    verify(key, challenge.subarray(CHALLENGE.length), reply);
  } catch (e) {
    ch.writeFrames(FAILURE);
    throw e;
  }
}

/**
 * @internal The accepting side: deliver_challenge, then answer_challenge. When our Client sent
 * its challenge together with its reply, #WELCOME# and our answer go out in one write.
 */
export async function serverHandshake(ch: FrameChannel, key: Buffer): Promise<void> {
  const challenge = newChallenge(OUR_NONCE_LENGTH);
  ch.writeFrames(challenge);
  await judge(ch, key, challenge);
  const early = ch.receivedFrame();
  if (early === null) {
    ch.writeFrames(WELCOME);
    ch.writeFrames(response(key, challengeOf(await ch.readHandshakeFrame())));
  } else {
    let answer: Buffer;
    try {
      answer = response(key, challengeOf(early));
    } catch (e) {
      ch.writeFrames(WELCOME);
      throw e;
    }
    ch.writeFrames(WELCOME, answer);
  }
  await expectWelcome(ch);
}

/**
 * @internal The connecting side: answer_challenge, then deliver_challenge. Against our own
 * Listener (known by its nonce's length) our challenge goes with our reply: one round trip
 * fewer. A CPython Listener gets the steps strictly in turn (see the top of this file).
 */
export async function clientHandshake(ch: FrameChannel, key: Buffer): Promise<void> {
  const theirs = challengeOf(await ch.readHandshakeFrame());
  const challenge = newChallenge(MESSAGE_LENGTH);
  if (theirs.length === SHA256_PREFIX.length + OUR_NONCE_LENGTH && theirs.subarray(0, SHA256_PREFIX.length).equals(SHA256_PREFIX)) {
    ch.writeFrames(response(key, theirs), challenge);
    await expectWelcome(ch);
  } else {
    ch.writeFrames(response(key, theirs));
    await expectWelcome(ch);
    ch.writeFrames(challenge);
  }
  await judge(ch, key, challenge);
  ch.writeFrames(WELCOME);
}
