/** Orders `rows` like `keys`, with undefined where a key has no row (a DataLoader batch's answer). */
export function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): Array<V | undefined> {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}
