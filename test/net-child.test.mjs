// Listener and Client across processes and threads started with mp.Process, under both start
// methods: a child as client, a child as server; a socket connection cannot travel to a child.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/net-targets.mjs';
import { childRunner, methods } from './helpers.mjs';

for (const method of methods) {
  describe(`Listener/Client with a '${method}' child`, () => {
    const run = childRunner(mp.getContext(method));

    it('the child is the Client of our Listener (TCP, authkey)', async () => {
      const l = await mp.Listener({ address: ['127.0.0.1', 0], authkey: 'family' });
      const p = run(t.askingClient, l.address, 'family', 20);
      const s = await l.accept({ signal: AbortSignal.timeout(20_000) });
      for (let i = 0; i < 20; i++) await s.send((await s.recv()) * 2);
      assert.equal((await s.recvBytes()).toString(), 'bytes from the child');
      await assert.rejects(s.recv(), mp.EOFError);
      await p.join(20_000);
      assert.equal(p.exitcode, 0);
      s.close();
      l.close();
    });

    it('the child is the server: a Listener in the child, our Client connects', async () => {
      const [mine, theirs] = mp.Pipe();
      const p = run(t.echoServer, theirs, Buffer.from('k'));
      const address = await mine.recv();
      const c = await mp.Client(address, { authkey: Buffer.from('k'), handshakeTimeout: 10_000 });
      for (const m of ['abc', 'x'.repeat(100_000)]) {
        await c.sendBytes(Buffer.from(m));
        assert.equal((await c.recvBytes()).toString(), [...m].reverse().join(''));
      }
      c.close();
      await p.join(20_000);
      assert.equal(p.exitcode, 0);
    });

    it('a child sending its socket connection through a Pipe gets a clear error at the send', async () => {
      const l = await mp.Listener({ address: ['127.0.0.1', 0] });
      const [mine, theirs] = mp.Pipe();
      const p = run(t.sendsSocket, theirs, l.address);
      const s = await l.accept();
      assert.match(await mine.recv(), /^refused: a socket connection .* cannot be sent to another process/);
      await p.join(20_000);
      s.close();
      l.close();
    });
  });
}
