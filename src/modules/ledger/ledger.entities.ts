import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '../../db/transformers';

export type LedgerAccountType = 'WALLET' | 'AGENCY_PROFIT' | 'PLATFORM_REVENUE' | 'PLATFORM_GRANTS' | 'PAYMENTS_IN' | 'PAYOUTS_OUT' | 'PAYOUTS_IN_FLIGHT';

export const TRANSFER_KINDS = [
  'TOP_UP', 'MINUTE_TRANSFER', 'USAGE', 'AUTO_ALLOCATION', 'AUTO_RECHARGE', 'PLAN_ALLOCATION', 'SUB_ACCOUNT_CLOSURE',
  'PAYOUT', 'ADJUSTMENT', 'MARKUP_PROFIT', 'REFUND', 'DISPUTE',
] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/**
 * A ledger account. WALLET and AGENCY_PROFIT accounts keep a stored balance
 * (credits − debits) updated with every transfer; the platform and outside-world
 * accounts keep none (their balance is derived from transfers by ledger:verify), so no
 * single platform-wide row is written by every usage record or purchase.
 */
@Entity('ledger_accounts')
export class LedgerAccountEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) type!: LedgerAccountType;
  @Column({ name: 'agency_id', type: 'uuid', nullable: true }) agencyId!: string | null;
  @Column({ name: 'debits_micros', type: 'bigint', transformer: bigintTransformer }) debitsMicros!: bigint;
  @Column({ name: 'credits_micros', type: 'bigint', transformer: bigintTransformer }) creditsMicros!: bigint;
  @Column({ name: 'balance_micros', type: 'bigint', transformer: bigintTransformer }) balanceMicros!: bigint;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** One immutable movement of money: one debit account, one credit account, one positive amount. */
@Entity('ledger_transfers')
export class LedgerTransferEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'agency_id', type: 'uuid' }) agencyId!: string;
  @Column({ type: 'text' }) kind!: TransferKind;
  @Column({ name: 'debit_account_id', type: 'uuid' }) debitAccountId!: string;
  @Column({ name: 'credit_account_id', type: 'uuid' }) creditAccountId!: string;
  @Column({ name: 'amount_micros', type: 'bigint', transformer: bigintTransformer }) amountMicros!: bigint;
  @Column({ type: 'text', nullable: true }) tier!: 'BASIC' | 'PREMIUM' | null;
  /** Minutes in units of 1/10,000 minute. */
  @Column({ name: 'minutes_sent_units', type: 'bigint', nullable: true, transformer: bigintTransformer })
  minutesSentUnits!: bigint | null;
  @Column({ name: 'minutes_received_units', type: 'bigint', nullable: true, transformer: bigintTransformer })
  minutesReceivedUnits!: bigint | null;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  @Column({ name: 'request_sha256', type: 'bytea', nullable: true, select: false }) requestSha256!: Buffer | null;
  @Column({ type: 'text', nullable: true }) memo!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /**
   * Commit order within a wallet (migration RecordingOrder): drawn by the INSERT under the
   * wallet's lock. Lists page by it; never read into the entity.
   */
  @Column({ type: 'bigint', insert: false, update: false, select: false }) seq!: string;
}
