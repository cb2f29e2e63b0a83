import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { methods, runNode } from './helpers.mjs';

const example = (name) => new URL(`../examples/${name}.mjs`, import.meta.url).pathname;

for (const method of methods) {
  describe(`manager examples under '${method}'`, () => {
    it('seed 000: Pool workers fill a Manager dict with factorials', async () => {
      const r = await runNode([example('manager-pool-dict'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '1 1\n11 39916800\n21 51090942171709440000\n31 8222838654177922817725562880000000\n41 33452526613163807108170062053440751665152000000000\n51 1551118753287382280224243016469303211063259720016986112000000000000\n... 100 entries\n');
    });
    it('seed 001: ten processes fill a dict (PyMOTW output)', async () => {
      const r = await runNode([example('manager-dict'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Results: {0: 0, 1: 2, 2: 4, 3: 6, 4: 8, 5: 10, 6: 12, 7: 14, 8: 16, 9: 18}\n');
    });
    it('seed 001: shared Namespace with an Event (PyMOTW output)', async () => {
      const r = await runNode([example('manager-namespaces'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Before event, consumer got: 'Namespace' object has no attribute 'value'\nAfter event, consumer got: This is the value\n");
    });
    it("Python's docs: Namespace(x=10, y='hello') and nested lists", async () => {
      const r = await runNode([example('manager-namespace'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Namespace(x=10, y='hello')\n[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n16\n[[]] []\n[['hello']] ['hello']\n");
    });
    it("manager.Pool(), Condition(managed Lock), Barrier with an action: Python's output", async () => {
      const r = await runNode([example('manager-pool-barrier'), method]);
      assert.equal(r.code, 0, r.stderr);
      // (what python3 prints for the same program written with multiprocessing's Manager)
      assert.equal(r.stdout, "[0, 1, 4, 9, 16, 25]\n49\nmade by the child\nall three arrived\n[('child 0', True), ('child 1', True), ('parent', True)]\n");
    });
    it("Python's docs: MathsClass on a custom manager", async () => {
      const r = await runNode([example('manager-maths'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '7\n56\n');
    });
  });
}

it('seed 002: a remote QueueManager served by one program, put by a second, got by a third', async () => {
  // (Below Linux's ephemeral range, 32768-60999: a put retried before the server listens could
  // otherwise be given that very port as its own and connect to itself, taking the server's port.)
  const port = 20000 + Math.floor(Math.random() * 10000);
  const server = runNode([example('manager-remote-queue'), 'serve', String(port)], { timeout: 30_000 }).catch((e) => e);
  // (The first put may come before the server listens: it is retried for a while.)
  let put;
  for (let i = 0; i < 30; i++) {
    put = await runNode([example('manager-remote-queue'), 'put', String(port)]);
    if (put.code === 0 || !/ECONNREFUSED/.test(put.stderr)) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(put.code, 0, put.stderr);
  const got = await runNode([example('manager-remote-queue'), 'get', String(port)]);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.stdout, 'hello\n');
  // The serving program runs until stopped: a client asks its server to shut down.
  const stop = await runNode(['-e', `import('multiprocessing-ts').then(async (mp) => { class Q extends mp.BaseManager {}; const m = new Q({ address: ['127.0.0.1', ${port}], authkey: 'abracadabra' }); await m.connect(); await m._shutdownServer(); })`]);
  assert.equal(stop.code, 0, stop.stderr);
  const s = await server;
  assert.equal(s.code, 0, String(s.stderr ?? s));
  assert.match(s.stdout, /serving on \[ '127\.0\.0\.1', \d+ \]/);
});
