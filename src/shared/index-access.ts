// `arr[i]` on Array and RawArray, as Python's arr[i]: reads and writes the shared element
// (negative indexes count from the end, out of range throws), through the object's own
// get(i)/set(i, v).
//
// How, without slowing get/set/.view: a Proxy is put in the class's prototype chain, just above
// its prototype. A property lookup reaches it only when the object and the class prototype
// lack the name, which is the case for `arr[5]` and `arr[-1]` but never for `get`, `set` and
// `view` (own properties of each RawArray) or the class's methods: their inline caches never
// see the Proxy. An assignment to a missing property reaches the Proxy's `set` trap the same
// way (that is how ordinary objects look for setters up the chain), so a write can no longer
// create an inert own property that a child forgets when it exits.

interface Indexed {
  get(index: number): unknown;
  set(index: number, value: unknown): void;
}

/** The index a property name means ('5', '-1', '1.5' reach get/set, which check them), or undefined. */
function indexOf(key: string | symbol): number | undefined {
  if (typeof key !== 'string' || key === '') return undefined;
  const c = key.charCodeAt(0);
  if (c !== 45 /* - */ && (c < 48 || c > 57)) return undefined;
  const n = Number(key);
  return String(n) === key || key === '-0' ? n : undefined;
}

export function indexable(cls: { prototype: object }): void {
  const above = Object.getPrototypeOf(cls.prototype) as object;
  // The target inherits from what was above, so that instanceof and inherited methods hold.
  const proxy = new Proxy(Object.create(above) as object, {
    get(target, key, receiver: Indexed) {
      const i = indexOf(key);
      return i === undefined || typeof receiver?.get !== 'function' ? Reflect.get(target, key, receiver) : receiver.get(i);
    },
    set(target, key, value, receiver: Indexed) {
      const i = indexOf(key);
      if (i === undefined || typeof receiver?.set !== 'function') return Reflect.set(target, key, value, receiver);
      receiver.set(i, value);
      return true;
    },
  });
  Object.setPrototypeOf(cls.prototype, proxy);
}
