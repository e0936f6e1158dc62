/**
 * A read batched and cached for one request (a DataLoader): services name the reads they need
 * with these, and the request's loaders (src/graphql/loaders.ts) satisfy them, so a service
 * batches like a resolver without depending on the GraphQL layer.
 */
export interface BatchedRead<K, V> {
  load(key: K): Promise<V>;
}

/** A per-request cache a service fills with rows it already holds, so later reads find them. */
export interface PrimedRead<K, V> {
  prime(key: K, value: V): unknown;
}
