// JSON Lines in and out for `multiprocessing-ts map`, run inside the pool's workers so that
// parsing and writing happen in parallel. JSON cannot say everything a task may return; each
// value JSON lacks is written the way that loses nothing a reader can recover:
// - BigInt: a JSON number with all its digits (JSON numbers have no size limit; Python's json
//   reads it exactly; JavaScript's JSON.parse rounds it past 2^53);
// - Map: an object of its entries (keys as strings); Set: an array;
// - typed arrays and Buffers: arrays of their numbers;
// - Error: { name, message };
// - undefined, functions and symbols: null (as JSON.stringify does inside an array); NaN and
//   ±Infinity: null (JSON.stringify's rule).
// A value JSON.stringify refuses (a cycle) fails its task with the reason.

/** A marker no JSON text written by a user can contain (a NUL byte and a random tag). */
const BIG = `\u0000bigint${Math.random().toString(36).slice(2)}:`;
const BIG_TEXT = new RegExp(`"${JSON.stringify(BIG).slice(1, -1).replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g');

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `this[key]` is the value before its own toJSON ran (a Buffer's toJSON hides its bytes).
  const raw = this[key];
  if (typeof raw === 'bigint') return BIG + raw.toString();
  if (raw instanceof Map) return Object.fromEntries(raw);
  if (raw instanceof Set) return [...raw];
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return Array.from(raw as unknown as ArrayLike<unknown>);
  if (raw instanceof Error) return { name: raw.name, message: raw.message };
  return value;
}

/** One result as one line of JSON (no newline). */
export function toJsonLine(value: unknown): string {
  const text = JSON.stringify({ v: value }, replacer);
  // {"v":...} keeps undefined/functions at the top as null, like items of an array.
  const inner = text === '{}' ? 'null' : text.slice(5, -1);
  return inner.includes('\\u0000bigint') ? inner.replace(BIG_TEXT, '$1') : inner;
}
