// Values keep their identity across every boundary (issue 9, points 14-16): exact typed-array
// types alone and nested; instances of exported or sender-registered classes arrive as their
// class, the receiver importing the module; errors keep class, name, message, stack, cause and
// own fields; what cannot be sent is named and shown. Through Pipe, Queue, Process args and
// Pool args/results, under both start methods.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as mp from 'multiprocessing-ts';
import { Tagged, ValidationError, Vec } from './fixtures/value-classes.mjs';
import { Later } from './fixtures/value-tla.mjs';
import * as t from './fixtures/value-targets.mjs';
import { methods, runNode } from './helpers.mjs';

// Registered on this (the sending) side only, under a name of its own.
mp.registerClass(Tagged, 'value.Tagged');

const typed = () => ({
  u8: new Uint8Array([1, 2, 3]),
  buf: Buffer.from('abc'),
  f32: new Float32Array([1.5]),
  f64: new Float64Array([2.5]),
  i16: new Int16Array([-2]),
  clamped: new Uint8ClampedArray([255]),
  big: new BigInt64Array([5n]),
  dv: new DataView(new ArrayBuffer(4)),
  list: [Buffer.from('x'), new Uint8Array([9])],
});
const typedShape = {
  '': 'Object', u8: 'Uint8Array', buf: 'Buffer', f32: 'Float32Array', f64: 'Float64Array', i16: 'Int16Array',
  clamped: 'Uint8ClampedArray', big: 'BigInt64Array', dv: 'DataView', list: ['Buffer', 'Uint8Array'],
};
// Alone at the top, where each has a path of its own (raw bytes, raw doubles, the serializer).
const alone = () => [new Uint8Array([1, 2]), Buffer.from('hi'), new Float64Array([1]), new Int32Array([7]), new DataView(new ArrayBuffer(2))];
const aloneShape = ['Uint8Array', 'Buffer', 'Float64Array', 'Int32Array', 'DataView'];
const instances = () => ({ vec: new Vec(3, 4), tagged: new Tagged('t1'), list: [new Vec(1, 1)] });
const instancesShape = {
  '': 'Object',
  vec: { '': 'Vec', x: 'number', y: 'number', norm2: 25 },
  tagged: { '': 'Tagged', tag: 'string', describe: 'tagged t1' },
  list: [{ '': 'Vec', x: 'number', y: 'number', norm2: 2 }],
};
const all = () => [...alone(), typed(), instances()];
const allShape = [...aloneShape, typedShape, instancesShape];

/** What came back to this process is exactly what was sent. */
function assertSame(got, sent) {
  assert.deepStrictEqual(t.shapeOf(got), t.shapeOf(sent));
  assert.deepStrictEqual(got, sent);
}

function checkValidation(e) {
  assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${e?.constructor?.name}`);
  assert.equal(e.name, 'ValidationError');
  assert.equal(e.message, 'age must be positive');
  assert.equal(e.field, 'age');
  assert.ok(e.cause instanceof RangeError);
  assert.equal(e.cause.message, '-1');
  assert.match(e.stack, /ValidationError: age must be positive\n\s+at .*value-targets\.mjs/);
}
function checkHidden(e) {
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'HiddenError');
  assert.equal(e.message, 'not exported');
  assert.deepEqual(e.detail, { code: 7 });
  assert.ok(e.cause instanceof TypeError);
  assert.equal(e.cause.message, 'root cause');
  assert.match(e.stack, /HiddenError: not exported\n\s+at .*value-targets\.mjs/);
  assert.match(String(e), /^HiddenError: not exported/);
}

for (const method of methods) {
  describe(`values keep their identity under '${method}'`, () => {
    const ctx = mp.getContext(method);
    const started = [];
    const start = (target, ...args) => {
      const p = ctx.Process({ target, args });
      p.start();
      started.push(p);
      return p;
    };
    let pool;
    after(async () => {
      for (const p of started) if (p.exitcode === null) p.kill();
      pool?.terminate();
    });
    const getPool = () => (pool ??= new (mp.getContext(method).Pool)(1));

    it('Process args: typed arrays and instances arrive as what they were', async () => {
      const q = ctx.Queue();
      const p = start(t.reportArgs, q, ...all());
      assert.deepStrictEqual(await q.get({ timeout: 30_000 }), allShape);
      await p.join(30_000);
      assert.equal(p.exitcode, 0);
    });

    for (const sync of [false, true]) {
      it(`Pipe: both ways, received with ${sync ? 'recvSync' : 'recv'} in the child and recv here`, async () => {
        const [mine, theirs] = mp.Pipe();
        const values = all();
        const p = start(t.echoPipe, theirs, values.length, sync);
        // Un-awaited sends, as users write them.
        for (const v of values) void mine.send(v);
        for (let i = 0; i < values.length; i++) {
          const { shape, value } = await mine.recv();
          assert.deepStrictEqual(shape, allShape[i]);
          assertSame(value, values[i]);
        }
        await p.join(30_000);
        assert.equal(p.exitcode, 0);
      });

      it(`Queue: both ways, taken with ${sync ? 'getSync' : 'get'} in the child and get here`, async () => {
        const inq = ctx.Queue(), outq = ctx.Queue();
        const values = all();
        const p = start(t.echoQueue, inq, outq, values.length, sync);
        for (const v of values) void inq.put(v);
        for (let i = 0; i < values.length; i++) {
          const { shape, value } = await outq.get({ timeout: 30_000 });
          assert.deepStrictEqual(shape, allShape[i]);
          assertSame(value, values[i]);
        }
        await p.join(30_000);
        assert.equal(p.exitcode, 0);
      });
    }

    it('Pool: arguments and results', async () => {
      const values = all();
      const got = await getPool().map(t.poolEcho, values);
      got.forEach(({ shape, value }, i) => {
        assert.deepStrictEqual(shape, allShape[i]);
        assertSame(value, values[i]);
      });
      const one = await getPool().apply(t.poolEcho, [new Uint8Array([4])]);
      assert.equal(one.value.constructor, Uint8Array);
    });

    it('instances made in the child arrive as their class (Queue, Pipe, Pool result)', async () => {
      const q = ctx.Queue();
      const [mine, theirs] = mp.Pipe();
      const p = start(t.putMade, q, ['vec', 'validation', 'hidden']);
      const vec = await q.get({ timeout: 30_000 });
      assert.ok(vec instanceof Vec);
      assert.equal(vec.norm2(), 25);
      checkValidation(await q.get({ timeout: 30_000 }));
      checkHidden(await q.get({ timeout: 30_000 }));
      const s = start(t.sendMade, theirs, ['validation', 'vec']);
      checkValidation(await mine.recv());
      assert.ok((await mine.recv()) instanceof Vec);
      // Taken with the Sync forms (the module is loaded here: found at once).
      const p2 = start(t.putMade, q, ['validation', 'hidden']);
      const deadline = Date.now() + 30_000;
      while (q.empty() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      checkValidation(q.getSync({ timeout: 30_000 }));
      checkHidden(q.getSync({ timeout: 30_000 }));
      const made = await getPool().apply(t.poolMake, ['vec']);
      assert.ok(made instanceof Vec);
      for (const c of [p, s, p2]) await c.join(30_000);
    });

    it('a class whose module has top-level await: recv waits for its import; recvSync gives the object first, an instance once imported', async () => {
      const q = ctx.Queue();
      const [mine, theirs] = mp.Pipe();
      const p = start(t.syncThenAsync, theirs, q);
      await mine.send(new Later(1));
      await mine.send(new Later(21));
      assert.deepEqual(await q.get({ timeout: 30_000 }), { before: 'Object', after: 'Later', second: 'Later', twice: 42 });
      await p.join(30_000);
      assert.equal(p.exitcode, 0);
    });

    it('a task that throws: an exported error class arrives as itself, one not found as a RemoteError', async () => {
      await assert.rejects(getPool().apply(t.poolThrow, ['validation']), (e) => (checkValidation(e), true));
      await assert.rejects(getPool().apply(t.poolThrow, ['hidden']), (e) => {
        assert.ok(e instanceof mp.RemoteError);
        assert.equal(e.remoteName, 'HiddenError');
        assert.match(e.message, /HiddenError: not exported/);
        assert.deepEqual(e.detail, { code: 7 });
        assert.match(e.remoteStack, /value-targets\.mjs/);
        return true;
      });
    });

    it('what cannot be sent is named by its path and shown (Pipe, Queue, Process args, Pool args)', async () => {
      const q = ctx.Queue();
      const [mine, theirs] = mp.Pipe();
      const p = start(t.sendUnsendable, q, theirs);
      assert.deepEqual(await q.get({ timeout: 30_000 }), [
        'obj is a symbol (Symbol(tag)) and cannot be sent to another process',
        'obj.deep[1] is a function (function onDone) and cannot be sent to another process; pass data, or an exported function as a Process/Pool target',
      ]);
      await p.join(30_000);
      await assert.rejects(mine.send({ a: Symbol('tag') }), { name: 'TypeError', message: /^obj\.a is a symbol \(Symbol\(tag\)\)/ });
      mine.close();
      await assert.rejects(q.put([() => 1]), { name: 'TypeError', message: /^obj\[0\] is a function \(\(\) => 1\)/ });
      assert.throws(() => ctx.Process({ target: t.identity, args: [{ cb: function cb() {} }] }).start(), { name: 'TypeError', message: /^args\[0\]\.cb is a function \(function cb\)/ });
      await assert.rejects(getPool().apply(t.identity, [{ s: Symbol('x') }]), { name: 'TypeError', message: /^args\.s is a symbol \(Symbol\(x\)\)/ });
      await assert.rejects(getPool().apply(t.identity, [new Promise(() => {})]), { message: /^args is a Promise/ });
    });
  });
}

describe('values keep their identity in a main script', () => {
  for (const method of methods) {
    it(`an error class exported by a main script still running (top-level await) comes back as itself, '${method}'`, async () => {
      const r = await runNode([fileURLToPath(new URL('./fixtures/value-main.mjs', import.meta.url)), method], { timeout: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)), {
        async: { cls: true, name: 'MainError', field: 1 },
        sync: { cls: true, name: 'MainError', field: 1 },
        pool: { cls: true, name: 'MainError', field: 1 },
      });
    });
  }
});

describe('SharedMemory names', () => {
  it("'..' and '.' are invalid names, said so at the call", () => {
    for (const name of ['..', '.', '/..']) {
      assert.throws(() => new mp.SharedMemory({ name }), { name: 'ValueError', message: /invalid name/ });
      assert.throws(() => new mp.SharedMemory({ name, create: true, size: 16 }), { name: 'ValueError', message: /invalid name/ });
    }
  });
});
