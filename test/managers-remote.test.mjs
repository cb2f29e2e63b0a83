import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import { gone, jsonLines, methods, runNode } from './helpers.mjs';
import { Counter, CounterManager } from './fixtures/manager-targets.mjs';

/**
 * A manager request frame as the protocol lays it out (op, seq, ident, name, then the arguments:
 * raw primitives [count][kind, bytes]... as a client writes them, or a codec body, here JSON,
 * which the codec refuses, or an unknown mode).
 */
function encodeRequest(op, seq, ident, name, args) {
  const n = Buffer.from(name);
  const mode = Math.random() < 0.6 ? 0 : Math.random() < 0.5 ? 2 : Math.floor(Math.random() * 256);
  let body;
  if (mode === 0) {
    const parts = [Buffer.of(args.length)];
    for (const a of args) {
      if (typeof a === 'string') {
        const s = Buffer.alloc(5 + Buffer.byteLength(a));
        s[0] = 7;
        s.writeUInt32LE(Buffer.byteLength(a), 1);
        s.write(a, 5);
        parts.push(s);
      } else if (typeof a === 'number') {
        const d = Buffer.alloc(9);
        d[0] = 6;
        d.writeDoubleLE(a, 1);
        parts.push(d);
      } else parts.push(Buffer.of(Math.floor(Math.random() * 10))); // a kind, maybe unknown
    }
    body = Buffer.concat(parts);
  } else body = Buffer.from(JSON.stringify(args));
  const head = Buffer.alloc(11 + Math.min(n.length, 255));
  head[0] = op;
  head.writeUInt32LE(seq >>> 0, 1);
  head.writeUInt32LE(ident >>> 0, 5);
  head[9] = Math.min(n.length, 255);
  n.copy(head, 10, 0, 255);
  head[10 + head[9]] = mode;
  return Buffer.concat([head, body]);
}
const fixture = (name) => new URL(`fixtures/${name}`, import.meta.url).pathname;

describe('BaseManager: registered types, remote clients, refusals', () => {
  let server;
  after(() => server?.shutdown());

  it('serves on a TCP address; connect() with the key works, a wrong key gets AuthenticationError', async () => {
    server = new CounterManager({ address: ['127.0.0.1', 0], authkey: 'k3y' }).getServer();
    void server.serveForever();
    const address = await server.address;
    const client = new CounterManager({ address, authkey: 'k3y' });
    await client.connect();
    const c = await client.Counter(5);
    assert.equal(await c.inc(2), 7);
    const child = await c.child(); // methodToTypeid: a proxy of a new Counter
    assert.equal(await child.value(), 100);
    assert.equal(child.typeid, 'Counter');
    assert.equal(c._secret, undefined); // not exposed: the proxy has no such method
    for (const name of ['_secret', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'n', 'nope']) {
      await assert.rejects(c._callmethod(name), (e) => e.name === 'AttributeError' && e.message.includes(`'${name}'`), name);
    }
    await assert.rejects(client.create('NotRegistered'), /no typeid 'NotRegistered'/);
    await assert.rejects(new CounterManager({ address, authkey: 'wrong' }).connect(), mp.AuthenticationError);
    await client.shutdown();
  });

  it('a fuzzing peer (random ops, idents, names, malformed frames, disconnects mid-call) leaves the server serving', async () => {
    const address = await server.address;
    const names = ['inc', 'value', '_secret', 'constructor', '__proto__', 'x'.repeat(200), '', 'child', 'then'];
    for (let round = 0; round < 40; round++) {
      const conn = await mp.Client(address, { authkey: 'k3y' });
      for (let i = 0; i < 25; i++) {
        const r = Math.random();
        let frame;
        if (r < 0.3) frame = randomBytes(Math.floor(Math.random() * 40));
        else {
          let op = Math.floor(Math.random() * 14);
          if (op === 9) op = 10; // SHUTDOWN: any authenticated client may stop the server, as in CPython
          const ident = Math.random() < 0.5 ? Math.floor(Math.random() * 5) : Math.floor(Math.random() * 2 ** 32);
          const args = Math.random() < 0.5 ? [] : [Math.random(), 'x', { a: [1] }];
          frame = encodeRequest(op, i, ident, names[Math.floor(Math.random() * names.length)], args);
          if (r > 0.9) frame = frame.subarray(0, Math.floor(frame.length / 2));
        }
        try {
          await conn.sendBytes(frame);
        } catch {
          break; // the server dropped us for a malformed frame
        }
      }
      conn.close();
    }
    const client = new CounterManager({ address, authkey: 'k3y' });
    await client.connect();
    const c = await client.Counter(1);
    assert.equal(await c.inc(), 2);
    await client.shutdown();
  });
});

for (const method of methods) {
  describe(`Manager lifetime under '${method}'`, () => {
    it('proxies collected by GC give their references back (the server\'s object count goes down)', async () => {
      const r = await runNode(['--expose-gc', fixture('manager-gc.mjs'), method]);
      assert.equal(r.code, 0, r.stderr);
      const [{ base, made, now }] = jsonLines(r.stdout);
      assert.equal(made, base + 50);
      assert.ok(now <= base + 5, `objects: ${base} at first, ${made} made, ${now} after GC`);
    });

    it('a manager whose owner exits (or is SIGKILLed) goes with it', async () => {
      for (const how of ['exit', 'kill']) {
        const r = await runNode([fixture('manager-owner-exits.mjs'), method, how]);
        assert.equal(r.code, how === 'exit' ? 0 : null, r.stderr);
        const [{ pid }] = jsonLines(r.stdout);
        if (method === 'process') assert.ok(await gone(pid, 5000), `server ${pid} outlived its owner (${how})`);
      }
    });

    it('SharedMemoryManager unlinks its segments and lists at shutdown', async () => {
      const smm = new mp.SharedMemoryManager({ context: method });
      await smm.start();
      const shm = await smm.SharedMemory(64);
      const sl = await smm.ShareableList([1, 'two', 3.5]);
      assert.equal(sl.get(1), 'two');
      const names = [shm.name, sl.shm.name];
      shm.close();
      sl.shm.close();
      await smm.shutdown();
      for (const name of names) assert.throws(() => new mp.SharedMemory({ name }), /no shared memory|ENOENT/);
    });
  });
}
