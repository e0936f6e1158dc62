/**
 * Failure isolation for batched statements (group commits, batched lookups): one bad item
 * must not fail the other items it happened to share a statement with, which may be other
 * tenants' requests.
 *
 * `run` handles a group of items as one statement (or one transaction) and settles them
 * only once it succeeded; when it throws, nothing of the group was written. The group is
 * then split in two halves, run again one after the other (posting order is kept), down to
 * single items: an item that still fails alone is the faulty one and gets its error through
 * `fail`. One faulty item among n costs about 2·log2(n) more statements; every other item
 * gets exactly the outcome it would have had in a batch without it.
 *
 * Failures that say nothing about an item (`isSharedFailure`: the connection, the pool, the
 * server) are thrown at once instead: splitting would only repeat them for every item.
 */
export async function runIsolated<Item>(
  items: readonly Item[],
  run: (group: Item[]) => Promise<void>,
  fail: (item: Item, error: unknown) => void,
): Promise<void> {
  try {
    await run([...items]);
  } catch (error) {
    if (isSharedFailure(error)) throw error;
    if (items.length === 1) {
      fail(items[0], error);
      return;
    }
    const middle = Math.ceil(items.length / 2);
    await runIsolated(items.slice(0, middle), run, fail);
    await runIsolated(items.slice(middle), run, fail);
  }
}

/** The SQLSTATE of a pg or TypeORM error, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether a failure is the database's, the connection's or the statement's own rather than
 * an item's: no SQLSTATE (connection lost, pool timeout), or classes 08 (connection), 42
 * (the statement itself: a missing column, a permission), 53 (insufficient resources), 57
 * (operator intervention: shutdown, cancel, statement timeout), 58 (system), XX (internal).
 * Splitting those would only repeat them, up to twice per item.
 */
export function isSharedFailure(error: unknown): boolean {
  const code = sqlState(error);
  return code === undefined || SHARED_CLASSES.has(code.slice(0, 2));
}

const SHARED_CLASSES = new Set(['08', '42', '53', '57', '58', 'XX']);
