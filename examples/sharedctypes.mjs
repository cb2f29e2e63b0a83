// Python's multiprocessing.sharedctypes example: a Value, a raw Value, a character Array and an
// Array of Point records, all changed by a child; the records are declared with mp.Struct.
//   node examples/sharedctypes.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

const Point = mp.Struct({ x: 'd', y: 'd' }, { name: 'Point' });

export function modify(n, x, s, A) {
  n.value **= 2;
  x.value **= 2;
  s.value = s.value.toUpperCase();
  for (const a of A) {
    a.x **= 2;
    a.y **= 2;
  }
}

/** A float as Python prints it (4.0, not 4). */
const py = (v) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const lock = mp.Lock();

  const n = mp.Value('i', 7);
  const x = mp.Value('d', 1.0 / 3.0, { lock: false });
  const s = mp.Array('c', 'hello world', { lock });
  const A = mp.Array(Point, [[1.875, -6.25], [-5.75, 2.0], [2.375, 9.5]], { lock });

  const p = ctx.Process({ target: modify, args: [n, x, s, A] });
  p.start();
  await p.join();

  console.log(n.value);
  console.log(x.value);
  console.log(s.value);
  console.log(`[${A.toArray().map((a) => `(${py(a.x)}, ${py(a.y)})`).join(', ')}]`);
}
