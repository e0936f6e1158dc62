import DataLoader from 'dataloader';

/**
 * A DataLoader that also answers synchronously for rows it already holds (primed, or
 * loaded earlier in the request). Why: a field resolver that awaits a row its parent has
 * already primed still returns a promise, and graphql-js then builds a promise for every
 * object holding such a field: on a dashboard page of 50 sub-accounts with prices and
 * wallets that was most of the garbage collector's work. `now(key, use)` runs `use` at
 * once when the row is at hand and only falls back to `load` when it is not.
 */
export class PeekableLoader<K, V, C = K> extends DataLoader<K, V, C> {
  private readonly known: Map<C, V>;
  private readonly keyOf: (key: K) => C;

  constructor(batch: DataLoader.BatchLoadFn<K, V>, options?: DataLoader.Options<K, V, C>) {
    const known = new Map<C, V>();
    const keyOf = options?.cacheKeyFn ?? ((key: K) => key as unknown as C);
    super(async (keys) => {
      const values = await batch(keys);
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (!(value instanceof Error) && !known.has(keyOf(keys[i]))) known.set(keyOf(keys[i]), value);
      }
      return values;
    }, options);
    this.known = known;
    this.keyOf = keyOf;
  }

  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    const cacheKey = this.keyOf(key);
    if (!(value instanceof Error) && !isPromiseLike(value) && !this.known.has(cacheKey)) this.known.set(cacheKey, value);
    return super.prime(key, value);
  }

  override clear(key: K): this {
    this.known.delete(this.keyOf(key));
    return super.clear(key);
  }

  override clearAll(): this {
    this.known.clear();
    return super.clearAll();
  }

  /** `use(row)` now when the row is at hand, else once it is loaded. */
  now<R>(key: K, use: (value: V) => R | Promise<R>): R | Promise<R> {
    const cacheKey = this.keyOf(key);
    if (this.known.has(cacheKey)) return use(this.known.get(cacheKey)!);
    return this.load(key).then(use);
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === 'function';
