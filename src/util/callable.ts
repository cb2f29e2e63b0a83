// Python's factories are plain calls (`mp.Lock()`); ours are classes. callable() lets one
// exported value be both: `new mp.Lock()` and `mp.Lock()` give the same kind of object, and
// `instanceof` and `extends` see the real class.

type Ctor = abstract new (...args: never[]) => unknown;
export type Callable<C extends Ctor> = C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

export function callable<C extends Ctor>(cls: C): Callable<C> {
  return new Proxy(cls, {
    apply(target, _self, args) {
      return Reflect.construct(target as unknown as new (...a: unknown[]) => unknown, args);
    },
  }) as Callable<C>;
}
