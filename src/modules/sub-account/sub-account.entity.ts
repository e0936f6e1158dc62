import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintTransformer } from '../../db/transformers';

export type SubAccountKind = 'PRIMARY' | 'SECONDARY';
export type SubAccountStatus = 'ACTIVE' | 'REMOVED';

@Entity('sub_accounts')
export class SubAccountEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'agency_id', type: 'uuid' }) agencyId!: string;
  @Column({ type: 'text' }) kind!: SubAccountKind;
  @Column({ type: 'text' }) status!: SubAccountStatus;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'login_email', type: 'text' }) loginEmail!: string;
  /** Null: follows the agency's default markup (changes to it apply at once). */
  @Column({ name: 'markup_basic_micros', type: 'bigint', nullable: true, transformer: bigintTransformer })
  markupBasicMicros!: bigint | null;
  @Column({ name: 'markup_premium_micros', type: 'bigint', nullable: true, transformer: bigintTransformer })
  markupPremiumMicros!: bigint | null;
  @Column({ name: 'apply_base_price', type: 'boolean' }) applyBasePrice!: boolean;
  @Column({ name: 'subscription_started_at', type: 'timestamptz' }) subscriptionStartedAt!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true }) removedAt!: Date | null;
  /**
   * Start of the current active period: set by add and by restore (never by the client). The
   * monthly secondary grant needs it at or before the cycle's start (migration SubAccountActiveSince).
   */
  @Column({ name: 'active_since', type: 'timestamptz' }) activeSince!: Date;
}
