// Placeholder: replaced by the pickle serializer.
export function pickleEncode(_v: unknown, what: string): Buffer {
  throw new TypeError(`${what}: the pickle serializer is not available yet`);
}
export function pickleDecode(_b: Buffer): unknown {
  throw new TypeError('recv: the pickle serializer is not available yet');
}
