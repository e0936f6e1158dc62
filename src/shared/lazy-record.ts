/**
 * A factory of records whose values are built on first read, each from its own factory and
 * the record's argument, then kept. The getters live on one prototype shared by every
 * record, so a new record costs one small object, however many values it could hold.
 *
 * Why: every request and every subscription gets its own set of about fifteen DataLoaders,
 * and most use none or one; building all of them up front was a third of a subscription's
 * memory and garbage on every request.
 */
export function lazyRecord<Arg, Factories extends Record<string, (arg: Arg) => unknown>>(
  factories: Factories,
): (arg: Arg) => { readonly [K in keyof Factories]: ReturnType<Factories[K]> } {
  const ARG = Symbol('lazyRecord.arg');
  const prototype: object = Object.create(null);
  for (const [name, make] of Object.entries(factories)) {
    Object.defineProperty(prototype, name, {
      enumerable: true,
      get(this: { [ARG]: Arg }) {
        const value = make(this[ARG]);
        // An own property shadows the getter: later reads are plain property reads.
        Object.defineProperty(this, name, { value, enumerable: true });
        return value;
      },
    });
  }
  return (arg) => {
    const record = Object.create(prototype);
    record[ARG] = arg;
    return record;
  };
}
