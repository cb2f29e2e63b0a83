// Types the published declarations need from Node without requiring Node's own type package:
// a TypeScript program that uses this library compiles without @types/node (or `--types node`),
// and one that has them sees Node's exact types.

/** Node's `Buffer` when the program has Node's types, else the `Uint8Array` it extends. */
export type NodeBuffer = typeof globalThis extends { Buffer: { isBuffer(obj: unknown): obj is infer B } } ? B : Uint8Array;

/** The part of Node's EventEmitter that Pool declares: its events are typed. */
export interface TypedEvents<E extends Record<string, unknown[]>> {
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  addListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  removeListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  removeAllListeners(event?: keyof E): this;
  listenerCount(event: keyof E): number;
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean;
}

// Symbol.dispose and Symbol.asyncDispose, which Pool, Connection and SharedMemory implement
// (`using`, `await using`), are in TypeScript's lib only from esnext.disposable on: declared here
// the way @types/node declares them, so the declarations compile with any `lib` setting.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
  interface Disposable {
    [Symbol.dispose](): void;
  }
  interface AsyncDisposable {
    [Symbol.asyncDispose](): PromiseLike<void>;
  }
}
