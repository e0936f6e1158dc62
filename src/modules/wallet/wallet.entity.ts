import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '../../db/transformers';

/** A sub-account's wallet; its balance lives in the ledger account with the same id. */
@Entity('wallets')
export class WalletEntity {
  /** Also the id of the wallet's ledger account, which holds the balance. */
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'sub_account_id', type: 'uuid' }) subAccountId!: string;
  @Column({ name: 'low_balance_threshold_micros', type: 'bigint', transformer: bigintTransformer })
  lowBalanceThresholdMicros!: bigint;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
