import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '../../db/transformers';

/** A subscription plan: data seeded by a migration, read-only to the API. */
@Entity('plans')
export class PlanEntity {
  @PrimaryColumn({ type: 'text' }) code!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'sort_order', type: 'int' }) sortOrder!: number;
  /** Counts the primary; null means no cap. */
  @Column({ name: 'sub_account_limit', type: 'int', nullable: true }) subAccountLimit!: number | null;
  @Column({ name: 'basic_price_micros', type: 'bigint', transformer: bigintTransformer }) basicPriceMicros!: bigint;
  @Column({ name: 'premium_price_micros', type: 'bigint', transformer: bigintTransformer }) premiumPriceMicros!: bigint;
  @Column({ name: 'included_basic_minutes', type: 'int' }) includedBasicMinutes!: number;
  @Column({ name: 'included_premium_minutes', type: 'int' }) includedPremiumMinutes!: number;
  /** True: the included minutes are credited every billing cycle (PARTNER_LEGACY), not once. */
  @Column({ name: 'included_minutes_monthly', type: 'boolean' }) includedMinutesMonthly!: boolean;
  @Column({ name: 'monthly_secondary_premium_minutes', type: 'int' }) monthlySecondaryPremiumMinutes!: number;
  /** Kept for the agencies already on it: no plan change moves an agency onto it (migration PlanLegacy). */
  @Column({ type: 'boolean' }) legacy!: boolean;
}
