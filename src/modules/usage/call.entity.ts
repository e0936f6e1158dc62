import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '../../db/transformers';
import type { MinuteTier } from '../pricing/pricing';

export const CALL_STATUSES = ['COMPLETED', 'NO_ANSWER', 'BUSY', 'FAILED', 'VOICEMAIL', 'CANCELED'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/**
 * One finished call pushed by the voice platform, with the figures fixed when it was
 * recorded: the client price and markup per minute then in force, the cost debited from
 * the wallet and the agency's share of it. Never updated.
 */
@Entity('calls')
export class CallEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'sub_account_id', type: 'uuid' }) subAccountId!: string;
  @Column({ name: 'external_call_id', type: 'text' }) externalCallId!: string;
  @Column({ name: 'scenario_id', type: 'uuid', nullable: true }) scenarioId!: string | null;
  @Column({ type: 'text' }) tier!: MinuteTier;
  @Column({ type: 'text' }) status!: CallStatus;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'duration_seconds', type: 'int' }) durationSeconds!: number;
  @Column({ name: 'price_micros', type: 'bigint', transformer: bigintTransformer }) priceMicros!: bigint;
  @Column({ name: 'markup_micros', type: 'bigint', transformer: bigintTransformer }) markupMicros!: bigint;
  @Column({ name: 'cost_micros', type: 'bigint', transformer: bigintTransformer }) costMicros!: bigint;
  @Column({ name: 'profit_micros', type: 'bigint', transformer: bigintTransformer }) profitMicros!: bigint;
  /** The USAGE ledger transfer; null for a call of 0 seconds (nothing to debit). */
  @Column({ name: 'transfer_id', type: 'uuid', nullable: true }) transferId!: string | null;
  @Column({ name: 'request_sha256', type: 'bytea', select: false }) requestSha256!: Buffer;
  @Column({ name: 'recorded_at', type: 'timestamptz' }) recordedAt!: Date;
  /**
   * Commit order within a sub-account (migration RecordingOrder): drawn by the INSERT under
   * the wallet's lock. `calls(order: RECORDED)` pages by it; never read into the entity.
   */
  @Column({ type: 'bigint', insert: false, update: false, select: false }) seq!: string;
}

const CALL_COLUMN_NAMES = [
  'id', 'sub_account_id', 'external_call_id', 'scenario_id', 'tier', 'status', 'started_at', 'duration_seconds',
  'price_micros', 'markup_micros', 'cost_micros', 'profit_micros', 'transfer_id', 'recorded_at',
];

/** The columns `toCallEntity` reads, for raw queries, optionally qualified by a table alias. */
export const callColumns = (alias?: string): string =>
  CALL_COLUMN_NAMES.map((name) => (alias ? `${alias}.${name}` : name)).join(', ');

/** A raw `calls` row (`callColumns()`) as an entity. */
export function toCallEntity(row: Record<string, unknown>): CallEntity {
  return Object.assign(new CallEntity(), {
    id: row.id,
    subAccountId: row.sub_account_id,
    externalCallId: row.external_call_id,
    scenarioId: row.scenario_id ?? null,
    tier: row.tier,
    status: row.status,
    startedAt: row.started_at as Date,
    durationSeconds: Number(row.duration_seconds),
    priceMicros: BigInt(row.price_micros as string),
    markupMicros: BigInt(row.markup_micros as string),
    costMicros: BigInt(row.cost_micros as string),
    profitMicros: BigInt(row.profit_micros as string),
    transferId: row.transfer_id ?? null,
    recordedAt: row.recorded_at as Date,
  });
}
