// Value, Array, RawValue, RawArray: every typecode, the lock options, and children that see
// the same memory under both start methods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/sync-targets.mjs';
import * as st from './fixtures/struct-targets.mjs';
import { methods, childRunner } from './helpers.mjs';

const ints = ['b', 'B', 'h', 'H', 'i', 'I', 'Int8', 'Uint8', 'Int16', 'Uint16', 'Int32', 'Uint32'];
const floats = ['f', 'd', 'Float32', 'Float64'];
const bigs = ['l', 'L', 'q', 'Q', 'BigInt64', 'BigUint64'];

describe('shared values in one process', () => {
  it('every typecode reads back what was written; bad values throw at the write', () => {
    for (const c of ints) {
      const v = mp.Value(c, 7);
      assert.equal(v.value, 7, c);
      assert.throws(() => (v.value = 1.5), /needs an integer/);
      assert.throws(() => (v.value = '1'), TypeError);
    }
    for (const c of floats) assert.equal(mp.Value(c, 0.5).value, 0.5, c);
    for (const c of bigs) {
      const v = mp.Value(c, 5);
      assert.equal(v.value, 5n, c);
      v.value = 2n ** 40n;
      assert.equal(v.value, 2n ** 40n);
    }
    const ch = mp.Value('c', 'a');
    assert.equal(ch.value, 'a');
    assert.throws(() => (ch.value = 'ab'), /one byte/);
    assert.throws(() => mp.Value('z'), /unknown typecode "z"/);
    assert.equal(mp.Value('i').value, 0, 'zero by default');
  });

  it('Array: get/set with negative indexes, slice, iteration, length, out of range throws', () => {
    const a = mp.Array('i', [1, 2, 3, 4]);
    assert.ok(a instanceof mp.Array);
    assert.equal(a.length, 4);
    assert.equal(a.get(-1), 4);
    a.set(-2, 30);
    assert.deepEqual(a.slice(), [1, 2, 30, 4]);
    assert.deepEqual(a.slice(1, 3), [2, 30]);
    assert.deepEqual([...a], [1, 2, 30, 4]);
    assert.throws(() => a.get(4), RangeError);
    assert.throws(() => a.get(-5), RangeError);
    assert.throws(() => a.set(0, 0.5), /needs an integer/);
    assert.throws(() => mp.Array('i'), /give a length or the initial values/);
    assert.deepEqual(mp.Array('d', 3).slice(), [0, 0, 0]);
    const q = mp.Array('q', [1, 2n]);
    assert.deepEqual(q.slice(), [1n, 2n]);
    const s = mp.Array('c', 'hello world');
    assert.equal(s.value, 'hello world');
    s.value = 'HELLO';
    assert.equal(s.value, 'HELLO');
    assert.equal(s.get(0), 'H');
    assert.throws(() => (s.value = 'x'.repeat(20)), /does not fit/);
    assert.throws(() => a.value, /only for typecode 'c'/);
  });

  it('lock options: an RLock by default, none with lock: false, or the one given', () => {
    const v = mp.Value('i', 1);
    assert.ok(v.getLock() instanceof mp.RLock);
    v.getLock().withSync(() => {
      v.value += 1; // re-entrant: the guarded access inside the held lock does not deadlock
    });
    assert.equal(v.value, 2);
    assert.ok(v.getObj() instanceof mp.RawValue);
    const bare = mp.Value('i', 1, { lock: false });
    assert.ok(bare instanceof mp.RawValue, "lock: false gives the RawValue itself, as Python's Value(..., lock=False)");
    assert.equal(bare.getLock, undefined);
    const bareArray = new mp.Array('d', [1, 2], { lock: false });
    assert.ok(bareArray instanceof mp.RawArray && !(bareArray instanceof mp.Array));
    assert.equal(bareArray.getLock, undefined);
    bareArray.view[0] = 5;
    assert.equal(bareArray.get(0), 5);
    const l = mp.Lock();
    const a = mp.Array('d', 2, { lock: l });
    assert.equal(a.getLock(), l);
    assert.ok(a.getObj() instanceof mp.RawArray);
    assert.throws(() => mp.Value('i', 0, { lock: 'yes' }), /option lock must be/);
  });

  it('a misspelt option throws a TypeError naming it and the option meant', () => {
    assert.throws(() => mp.Value('i', 0, { locked: false }), { name: 'TypeError', message: /Value: unknown option 'locked' \(did you mean 'lock'\?\)/ });
    assert.throws(() => mp.Array('i', 3, { Lock: mp.Lock() }), { name: 'TypeError', message: /Array: unknown option 'Lock' \(did you mean 'lock'\?\)/ });
    assert.throws(() => mp.Array('i', 3, { lock: false, timeout: 5 }), /Array: unknown option 'timeout'; the options are lock/);
    assert.throws(() => mp.Value('i', 0, false), /Value: expected an options object \{ lock \}, got boolean false/);
    assert.throws(() => new mp.Value('d', 0, { synchronized: true }), /unknown option 'synchronized'/);
  });

  it("arr[i] reads and writes the shared element as Python's arr[i] does (negative indexes, range and type checked)", () => {
    for (const a of [mp.RawArray('i', [1, 2, 3]), mp.Array('i', [1, 2, 3])]) {
      assert.equal(a[0], 1);
      assert.equal(a[-1], 3);
      a[1] = 20;
      a[-3] += 100;
      assert.deepEqual(a.slice(), [101, 20, 3]);
      assert.equal(a.get(1), 20);
      assert.throws(() => a[3], RangeError);
      assert.throws(() => a[-4], RangeError);
      assert.throws(() => (a[5] = 1), RangeError);
      assert.throws(() => (a[0] = 1.5), /needs an integer/);
      assert.throws(() => a[1.5], /index must be an integer/);
      assert.equal(Object.keys(a).some((k) => /^-?\d/.test(k)), false, 'no own index property was created');
      a.extra = 'kept';
      assert.equal(a.extra, 'kept', 'other properties behave as on any object');
    }
    const raw = mp.RawArray('i', [1, 2, 3]);
    assert.equal(raw.view[1], 2);
    raw[1] = 7;
    assert.equal(raw.view[1], 7, 'the write went to the shared memory');
    const q = mp.RawArray('q', [1, 2]);
    assert.equal(q[1], 2n);
    const s = mp.Array('c', 'hello');
    s[0] = 'J';
    assert.equal(s.value, 'Jello');
    assert.equal(s[-1], 'o');
    assert.ok(raw instanceof mp.RawArray && s instanceof mp.Array, 'instanceof still holds');
  });

  it('RawArray: the view is the shared memory', () => {
    const r = mp.RawArray('Float64', [1, 2]);
    r.view[1] = 5;
    assert.equal(r.get(1), 5);
    assert.ok(r.view instanceof Float64Array);
    const rv = mp.RawValue('H', 3);
    rv.value = 4;
    assert.equal(rv.value, 4);
  });
});

for (const method of methods) {
  describe(`shared values across children under '${method}'`, () => {
    const ctx = mp.getContext(method);
    const run = childRunner(ctx);

    it('a child changes every kind of Value; the parent sees it', async () => {
      const values = [...ints, ...floats, ...bigs].map((c) => mp.Value(c, 3));
      values.push(mp.Value('c', 'q'), mp.RawValue('i', 10), mp.Value('d', 1.5, { lock: false }));
      const p = await run(t.bumpAll, values);
      await p.join(60_000);
      assert.equal(p.exitcode, 0);
      for (const v of values) {
        const x = v.value;
        assert.ok(x === 4 || x === 4n || x === 'Q' || x === 11 || x === 2.5, `${String(v)} is ${String(x)}`);
      }
    });

    it('Value counter: two children and the parent, read-modify-write under getLock()', async () => {
      const v = mp.Value('i', 0);
      const ps = [await run(t.valueCounter, v, 5_000), await run(t.valueCounter, v, 5_000)];
      t.valueCounter(v, 5_000);
      for (const p of ps) await p.join(60_000);
      assert.equal(v.value, 15_000);
    });

    it("a child's arr[i] writes reach the parent (RawArray, Array, 'c' Array)", async () => {
      const raw = mp.RawArray('i', [1, 2, 3]);
      const synced = mp.Array('d', [1, 2, 3]);
      const chars = mp.Array('c', 'hello');
      const p = await run(st.indexWrites, raw, synced, chars);
      await p.join(60_000);
      assert.equal(p.exitcode, 0);
      assert.deepEqual(raw.slice(), [10, 20, 30]);
      assert.deepEqual(synced.slice(), [6, 2, 99]);
      assert.equal(chars.value, 'Jello');
    });

    it('lock: false values arrive in a child as the raw objects, and its writes reach the parent', async () => {
      const v = mp.Value('i', 1, { lock: false });
      const a = mp.Array('i', [5], { lock: false });
      const out = mp.Queue();
      const p = await run(st.describeRaw, v, a, out);
      assert.deepEqual(await out.get({ timeout: 60_000 }), [true, true, 'undefined', 'undefined']);
      await p.join(60_000);
      assert.equal(v.value, 2);
      assert.equal(a[0], 6);
      out.close();
    });

    it('a RawArray changed through its view in a child; an Array negated by the seed function', async () => {
      const r = mp.RawArray('i', [1, 2, 3]);
      const n = mp.Value('d', 0);
      const a = mp.Array('i', [0, 1, 2]);
      const ps = [await run(t.doubleView, r), await run(t.negate, n, a)];
      for (const p of ps) await p.join(60_000);
      assert.deepEqual(r.slice(), [2, 4, 6]);
      assert.equal(n.value, 3.1415927);
      assert.deepEqual(a.slice(), [0, -1, -2]);
    });
  });
}
