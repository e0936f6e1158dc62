/**
 * One row of `outbox_events` (migration Outbox), as the event hub reads it with raw SQL.
 * Not a TypeORM entity: `xid8` is not a column type TypeORM knows, and nothing but the
 * hub and the retention job reads the table. (xid, id) orders the table; see
 * docs/events.md for why a reader never skips a row.
 */
export interface OutboxRow {
  xid: bigint;
  id: bigint;
  type: string;
  agencyId: string | null;
  subAccountId: string | null;
  transferId: string | null;
  balanceMicros: bigint | null;
  deltaMicros: bigint | null;
  refId: string | null;
  /** HEALTH_CHANGED: the new level and the one before it (migration HealthLevels); null otherwise. */
  healthLevel: string | null;
  previousHealthLevel: string | null;
  occurredAt: Date;
}

/**
 * The SELECT list that `toOutboxRow` reads. Its aliases shadow the columns in ORDER BY (text
 * order!): order by `outbox_events.xid, outbox_events.id`.
 */
export const OUTBOX_COLUMNS = `xid::text AS xid, id::text AS id, type, agency_id, sub_account_id, transfer_id,
  balance_micros::text AS balance_micros, delta_micros::text AS delta_micros, ref_id, health_level, previous_health_level, occurred_at`;

export function toOutboxRow(raw: Record<string, any>): OutboxRow {
  return {
    xid: BigInt(raw.xid),
    id: BigInt(raw.id),
    type: raw.type,
    agencyId: raw.agency_id,
    subAccountId: raw.sub_account_id,
    transferId: raw.transfer_id,
    balanceMicros: raw.balance_micros === null ? null : BigInt(raw.balance_micros),
    deltaMicros: raw.delta_micros === null ? null : BigInt(raw.delta_micros),
    refId: raw.ref_id,
    healthLevel: raw.health_level ?? null,
    previousHealthLevel: raw.previous_health_level ?? null,
    occurredAt: raw.occurred_at instanceof Date ? raw.occurred_at : new Date(raw.occurred_at),
  };
}

/** A position in the outbox: every row at or before it has been seen. */
export interface Cursor {
  xid: bigint;
  id: bigint;
}

export const compareCursor = (a: Cursor, b: Cursor): number =>
  a.xid !== b.xid ? (a.xid < b.xid ? -1 : 1) : a.id === b.id ? 0 : a.id < b.id ? -1 : 1;

/** Fixed width, so a sequence also sorts as a string: 20 digits of xid, '-', 19 digits of id. */
export function encodeSequence(cursor: Cursor): string {
  return `${cursor.xid.toString().padStart(20, '0')}-${cursor.id.toString().padStart(19, '0')}`;
}

export function decodeSequence(sequence: string): Cursor | undefined {
  const match = /^(\d{1,20})-(\d{1,19})$/.exec(sequence);
  if (!match) return undefined;
  return { xid: BigInt(match[1]), id: BigInt(match[2]) };
}
