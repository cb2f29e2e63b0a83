import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import { AppError, Point, checkValues } from './fixtures/targets.mjs';
import { methods } from './helpers.mjs';

const values = () => {
  const err = new AppError('bad', 'E42');
  err.cause = new TypeError('root');
  const point = new Point(3, 4);
  return {
    point, err, big: 2n ** 70n, map: new Map([['k', 1]]), set: new Set([3]), bytes: new Uint8Array([1, 2, 3]),
    date: new Date(0), nested: { deep: [{ point }] }, text: 'héllo',
  };
};

for (const method of methods) {
  describe(`codec under '${method}'`, () => {
    it('errors keep class, message, stack, cause and own fields; registered classes keep their prototype', async () => {
      const p = new (mp.getContext(method).Process)({ target: checkValues, args: [values()] });
      p.start();
      await p.join(30_000);
      assert.equal(p.exitcode, 0);
    });
  });
}

describe('unsendable values fail at the call, naming their path', () => {
  it('a function inside args', () => {
    const p = new mp.Process({ target: checkValues, args: [1, { onDone: () => {} }] });
    assert.throws(() => p.start(), { name: 'TypeError', message: /^args\[1\]\.onDone is a function/ });
  });
  it('a symbol, a promise, a SharedArrayBuffer', () => {
    for (const [bad, what] of [[Symbol('s'), /args\[0\] is a symbol/], [Promise.resolve(1), /args\[0\] is a Promise/], [new SharedArrayBuffer(8), /args\[0\] is a SharedArrayBuffer.*RawArray/]]) {
      const p = new mp.Process({ target: checkValues, args: [bad] });
      assert.throws(() => p.start(), what);
    }
  });
});
