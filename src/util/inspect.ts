// console.log() of a package object shows what toString() says (Python's repr), not its fields:
// those include the whole shared arena as an Int32Array of 64 M entries.
const custom = Symbol.for('nodejs.util.inspect.custom');

export function inspectAsString(...classes: { prototype: object }[]): void {
  for (const c of classes) {
    Object.defineProperty(c.prototype, custom, {
      value(this: object): string {
        return String(this);
      },
      configurable: true,
      writable: true,
    });
  }
}
