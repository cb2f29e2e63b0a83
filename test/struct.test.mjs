// Records in shared memory (mp.Struct, ctypes' Structure): layouts checked against python3's
// ctypes, element views that read and write the memory, the lock of a synchronized Array, and
// records of every typecode travelling to children (Process args, Pool args, Queue items)
// under both start methods, whose module declares no Struct.
import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/struct-targets.mjs';
import { methods, childRunner, runCommand } from './helpers.mjs';

const Point = mp.Struct({ x: 'd', y: 'd' }, { name: 'Point' });
const Inner = mp.Struct({ a: 'h', b: 'c' }, { name: 'Inner' });
const Every = mp.Struct({
  b: 'b', B: 'B', h: 'h', H: 'H', i: 'i', I: 'I', l: 'l', L: 'L', q: 'q', Q: 'Q', f: 'f', d: 'd', c: 'c',
  i8: 'Int8', u8: 'Uint8', i16: 'Int16', u16: 'Uint16', i32: 'Int32', u32: 'Uint32', f32: 'Float32', f64: 'Float64',
  i64: 'BigInt64', u64: 'BigUint64', inner: Inner, tags: ['B', 8], name: ['c', 6], pts: [Inner, 2], ds: ['d', 3],
}, { name: 'Every' });

// Values at the ends of each type's range, as a record reads them back.
const sample = {
  b: -128, B: 255, h: -32768, H: 65535, i: -(2 ** 31), I: 2 ** 32 - 1, l: -(2n ** 63n), L: 2n ** 64n - 1n,
  q: 2n ** 63n - 1n, Q: 12345678901234567890n, f: 1.5, d: Math.PI, c: 'z',
  i8: -5, u8: 250, i16: -300, u16: 60000, i32: 123456789, u32: 4000000000, f32: -0.25, f64: 1 / 3,
  i64: -9007199254740993n, u64: 9007199254740993n, inner: { a: -7, b: 'q' }, tags: [1, 2, 3, 4, 5, 6, 7, 8],
  name: 'abc', pts: [{ a: 1, b: 'x' }, { a: 2, b: 'y' }], ds: [0.5, 1.5, 2.5],
};
const next = {
  b: 127, B: 0, h: 32767, H: 1, i: 2 ** 31 - 1, I: 0, l: 2n ** 63n - 1n, L: 0n, q: -(2n ** 63n), Q: 1n, f: -2.5, d: Math.E, c: 'A',
  i8: 127, u8: 1, i16: 300, u16: 2, i32: -123456789, u32: 3, f32: 0.125, f64: 2 / 3,
  i64: 9007199254740993n, u64: 1n, inner: { a: 7, b: 'Q' }, tags: [8, 7, 6, 5, 4, 3, 2, 1],
  name: 'xyzzy', pts: [{ a: 3, b: 'm' }, { a: 4, b: 'n' }], ds: [-1, -2, -3],
};

describe('Struct layouts are those of ctypes', () => {
  it('size, alignment and every offset match python3 ctypes for records of every typecode, nested records and arrays', async () => {
    const decls = {
      Point: Point,
      Inner: Inner,
      Every: Every,
      Thing: mp.Struct({ id: 'i', pos: Point, tags: ['B', 8] }),
      Tail: mp.Struct({ q: 'q', b: 'B' }),
      Small: mp.Struct({ b: 'b', h: 'h', b2: 'b' }),
      Mixed: mp.Struct({ c: 'c', d: 'd', b: 'b', i: 'i', h: 'h', f: 'f' }),
      Outer: mp.Struct({ c: 'c', small: mp.Struct({ b: 'b', h: 'h', b2: 'b' }), rows: [Point, 2], z: 'c' }),
    };
    const ctypes = { b: 'c_byte', B: 'c_ubyte', h: 'c_short', H: 'c_ushort', i: 'c_int', I: 'c_uint', l: 'c_long', L: 'c_ulong', q: 'c_longlong', Q: 'c_ulonglong', f: 'c_float', d: 'c_double', c: 'c_char', Int8: 'c_int8', Uint8: 'c_uint8', Int16: 'c_int16', Uint16: 'c_uint16', Int32: 'c_int32', Uint32: 'c_uint32', Float32: 'c_float', Float64: 'c_double', BigInt64: 'c_int64', BigUint64: 'c_uint64' };
    const names = new Map();
    const lines = [];
    const py = (s) => {
      if (!names.has(s)) {
        const fields = s.fields.map((f) => `('${f.name}', ${pyType(f.slot)})`).join(', ');
        const name = `S${names.size}`;
        names.set(s, name);
        lines.push(`class ${name}(Structure): _fields_ = [${fields}]`);
      }
      return names.get(s);
    };
    const pyType = (slot) => slot.t === 'scalar' ? ctypes[slot.info.code] : slot.t === 'struct' ? py(slot.struct) : `${pyType(slot.of)} * ${slot.count}`;
    const list = Object.entries(decls).map(([k, s]) => `('${k}', ${py(s)})`);
    const script = `from ctypes import *\nimport json\n${lines.join('\n')}\n` +
      `print(json.dumps({k: [sizeof(S), alignment(S), {f: getattr(S, f).offset for f, *_ in S._fields_}] for k, S in [${list.join(', ')}]}))`;
    const r = await runCommand('python3', ['-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const expected = JSON.parse(r.stdout);
    for (const [k, s] of Object.entries(decls)) assert.deepEqual([s.size, s.align, { ...s.offsets }], expected[k], k);
  });

  it('bad declarations fail at the declaration, naming what was wrong', () => {
    assert.throws(() => mp.Struct({ x: 'z' }), /Struct\(fields\)\.x: unknown typecode "z"/);
    assert.throws(() => mp.Struct({}), /at least one field/);
    assert.throws(() => mp.Struct({ 'not a name': 'd' }), /cannot be a field name/);
    assert.throws(() => mp.Struct({ toJSON: 'd' }), /cannot be a field name/);
    assert.throws(() => mp.Struct({ tags: ['B'] }), /\[typecode or Struct, length\]/);
    assert.throws(() => mp.Struct({ grid: [['B', 2], 2] }), /holds typecodes or Structs, not arrays/);
    assert.throws(() => mp.Struct([['x', 'd']]), /expected an object of field names/);
    assert.throws(() => mp.Struct({ x: 'd' }, { nmae: 'P' }), /Struct: unknown option 'nmae' \(did you mean 'name'\?\)/);
    assert.equal(mp.Struct({ x: 'd', y: 'd' }, { name: 'Point' }), Point, 'an identical declaration is the same Struct');
  });
});

describe('record views in one process', () => {
  it('an element is a view of the shared memory: A.get(0).x **= 2, iteration, arr[i], negative indexes', () => {
    for (const A of [mp.RawArray(Point, [[1.875, -6.25], { x: -5.75, y: 2 }, [2.375]]), mp.Array(Point, [[1.875, -6.25], { x: -5.75, y: 2 }, [2.375]])]) {
      assert.equal(A.length, 3);
      assert.equal(A.typecode, Point);
      A.get(0).x **= 2;
      assert.equal(A.get(0).x, 3.515625);
      for (const a of A) a.y += 1;
      assert.deepEqual(A.toArray().map((a) => [a.x, a.y]), [[3.515625, -5.25], [-5.75, 3], [2.375, 1]]);
      assert.equal(A[-1].x, 2.375);
      A[-1].y = 7;
      A[1] = { y: 9 };
      assert.deepEqual(A.slice(1).map((a) => a.toJSON()), [{ x: 0, y: 9 }, { x: 2.375, y: 7 }]);
      assert.equal(A.get(0), A.get(0), 'the same view for the same element');
      assert.throws(() => A.get(3), RangeError);
      assert.throws(() => A[-4], RangeError);
    }
    const raw = mp.RawArray(Point, 2);
    assert.deepEqual(raw.toArray().map((a) => a.toJSON()), [{ x: 0, y: 0 }, { x: 0, y: 0 }]);
    assert.ok(raw.view instanceof Uint8Array && raw.view.length === 32, '.view: the bytes of the records');
    new Float64Array(raw.view.buffer, raw.view.byteOffset, 4)[3] = 8;
    assert.equal(raw.get(1).y, 8);
  });

  it('every typecode, nested records and array fields read and write the memory', () => {
    const v = mp.RawValue(Every, sample);
    assert.deepEqual(v.value.toJSON(), sample);
    const r = v.value;
    r.inner.a = 99;
    assert.equal(v.value.inner.a, 99);
    r.tags[2] = 30;
    assert.equal(r.toJSON().tags[2], 30, 'an array field is a typed array over the shared memory');
    assert.ok(r.tags instanceof Uint8Array && r.ds instanceof Float64Array);
    r.pts[1].b = 'w';
    assert.equal(r.pts[1].b, 'w');
    r.name = 'hi';
    assert.equal(r.name, 'hi', "a 'c' array field reads as a string up to its first NUL");
    assert.throws(() => (r.pos = 1), TypeError, 'a misspelt field is not silently added to the view');
    v.value = next;
    assert.deepEqual(v.value.toJSON(), next);
    assert.match(String(v.value), /^Every \{ b: 127, B: 0, /);
    assert.equal(JSON.stringify(mp.RawValue(Point, [1, 2]).value), '{"x":1,"y":2}');
  });

  it('bad values throw at the write and leave the record as it was', () => {
    const v = mp.RawValue(Every, sample);
    assert.throws(() => (v.value.i = 1.5), /Every\.i: typecode 'i' needs an integer, got number 1.5/);
    assert.throws(() => (v.value = { ...next, c: 'too long' }), /one byte/);
    assert.throws(() => (v.value = { ...next, tags: Array(9).fill(1) }), /9 items do not fit in 8/);
    assert.throws(() => (v.value = { ...next, nmae: 'x' }), /Every has no field 'nmae'; did you mean 'name'\?/);
    assert.throws(() => (v.value.inner = [1, 'a', 3]), /3 values for a Inner of 2 fields/);
    assert.throws(() => (v.value.name = 'toolong'), /7 bytes do not fit in 6/);
    assert.throws(() => (v.value = 5), /written as an object of its fields or a tuple/);
    assert.deepEqual(v.value.toJSON(), sample, 'no failed write changed anything');
    const A = mp.Array(Point, 2);
    assert.throws(() => A.set(0, { x: 1, y: 'two' }), /Array\.set\(0\)\.y: typecode 'd' needs a number/);
    assert.throws(() => mp.RawArray(Point, [[1, 2], [3, 4, 5]]), /RawArray\(Point, sizeOrValues\)\[1\]: 3 values for a Point of 2 fields/);
    assert.throws(() => mp.Value(Point, 'x'), /written as an object/);
    assert.throws(() => mp.RawArray(Point), /give a length or the initial records/);
    assert.deepEqual(A.toArray().map((a) => a.toJSON()), [{ x: 0, y: 0 }, { x: 0, y: 0 }]);
  });

  it('a Value of a Struct: .value is the record (guarded by the lock), assignable whole; lock: false gives the RawValue', () => {
    const v = mp.Value(Point, { x: 1, y: 2 });
    assert.ok(v.getLock() instanceof mp.RLock);
    v.value.x += 1;
    v.getLock().withSync(() => (v.value.y *= 10));
    assert.deepEqual(v.value.toJSON(), { x: 2, y: 20 });
    v.value = [5, 6];
    assert.deepEqual(v.getObj().value.toJSON(), { x: 5, y: 6 });
    const raw = mp.Value(Point, { x: 1 }, { lock: false });
    assert.ok(raw instanceof mp.RawValue);
    assert.equal(raw.getLock, undefined);
    assert.match(String(v), /<Synchronized wrapper for <RawValue Point \{ x: 5, y: 6 \}>>/);
  });

  it('a view sent through a Queue arrives as a plain copy of its fields', async () => {
    const q = mp.Queue();
    const v = mp.RawValue(Every, sample);
    await q.put([v.value, v.value.inner]);
    const [copy, inner] = await q.get({ timeout: 10_000 });
    assert.deepEqual(copy, sample);
    assert.deepEqual(inner, sample.inner);
    q.close();
  });
});

for (const method of methods) {
  describe(`records across children under '${method}'`, () => {
    const ctx = mp.getContext(method);
    const run = childRunner(ctx);
    const make = () => [mp.RawValue(Every, sample), mp.Value(Every, sample), mp.RawArray(Every, [sample, sample]), mp.Array(Every, [sample, sample])];
    const check = (values, read) => {
      assert.deepEqual(read, values.map((v) => ({ struct: 'Every/' + Every.size, records: 'length' in v ? [sample, sample] : [sample] })));
      assert.deepEqual(values[0].value.toJSON(), next);
      assert.deepEqual(values[1].value.toJSON(), next);
      assert.deepEqual(values[2].toArray().map((r) => r.toJSON()), [next, next]);
      assert.deepEqual(values[3].toArray().map((r) => r.toJSON()), [next, next]);
    };

    it('records of every typecode as Process args: the child reads them and writes new ones', async () => {
      const values = make();
      const out = mp.Queue();
      const p = run(t.touchRecords, values, next, out);
      const read = await out.get({ timeout: 60_000 });
      await p.join(60_000);
      assert.equal(p.exitcode, 0);
      check(values, read);
      out.close();
    });

    it('records as Queue items', async () => {
      const values = make();
      const q = mp.Queue(), out = mp.Queue();
      const p = run(t.touchFromQueue, q, next, out);
      await q.put(values);
      const read = await out.get({ timeout: 60_000 });
      await p.join(60_000);
      assert.equal(p.exitcode, 0);
      check(values, read);
      q.close();
      out.close();
    });

    it('records as Pool task args', async () => {
      const pool = ctx.Pool(1);
      try {
        const values = make();
        check(values, await pool.apply(t.touchInPool, [values, next], { timeout: 60_000 }).catch((e) => assert.fail(e)));
      } finally {
        pool.terminate();
        await pool.join();
      }
    });

    it("a synchronized Array's field accesses wait for its lock; getLock() makes a record update atomic", async () => {
      const A = mp.Array(Point, [[1, 2]]);
      const when = mp.Value('d', 0);
      A.getLock().acquireSync();
      const p = run(t.readGuarded, A, when);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(when.getObj().value, 0, 'the child could not read while the lock was held');
      const released = Date.now();
      A.getLock().release();
      await p.join(60_000);
      assert.ok(when.value >= released, 'the child read after the release');
      assert.equal(A.get(0).y, 1);

      const C = mp.Array(Point, 1);
      const ps = [run(t.recordCounter, C, 3_000), run(t.recordCounter, C, 3_000)];
      t.recordCounter(C, 3_000);
      for (const c of ps) await c.join(60_000);
      assert.deepEqual(C.get(0).toJSON(), { x: 9_000, y: 9_000 });
    });
  });
}
