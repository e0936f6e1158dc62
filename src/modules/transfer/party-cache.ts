import type { PartyRow } from './party-lookup';

/** Sub-accounts remembered per process (a few hundred bytes each). */
const DEFAULT_CAPACITY = 10_000;

/** A remembered party: its row as looked up, less the per-request `key_used`. */
export type CachedParty = Omit<PartyRow, 'key_used'>;

/**
 * The active sub-accounts this process priced transfers from, so that the next transfer
 * between them needs no lookup round trip. Entries are never trusted for money: a transfer
 * priced from them carries its prices to the posting, which re-checks them and the
 * sub-accounts' status under lock (migration LedgerPostPriced), and any refusal there drops
 * the entries and prices the transfer again from fresh rows. Removed sub-accounts are not
 * kept (a restore would not be seen).
 *
 * Bounded: when full, the entry used least recently goes (a Map keeps insertion order; a
 * hit re-inserts its key).
 */
export class PartyCache {
  private readonly entries = new Map<string, CachedParty>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Both rows, or undefined unless both are remembered. */
  get(fromId: string, toId: string): [CachedParty, CachedParty] | undefined {
    const from = this.touch(fromId);
    const to = from && this.touch(toId);
    return from && to ? [from, to] : undefined;
  }

  remember(rows: readonly PartyRow[]): void {
    for (const { key_used: _keyUsed, ...row } of rows) {
      this.entries.delete(row.id);
      if (row.status !== 'ACTIVE') continue;
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(row.id, row);
    }
  }

  forget(...ids: string[]): void {
    for (const id of ids) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  private touch(id: string): CachedParty | undefined {
    const row = this.entries.get(id);
    if (row) {
      this.entries.delete(id);
      this.entries.set(id, row);
    }
    return row;
  }
}
